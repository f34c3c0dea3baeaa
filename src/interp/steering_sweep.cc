#include "warden/interp/steering_sweep.h"

#include <string>

namespace warden::interp {
namespace {

// Clears the model's steering when the sweep leaves, by any path.
class SteeringCleared {
 public:
  explicit SteeringCleared(engine::LanguageModel& model) : model_(model) {}
  ~SteeringCleared() { model_.ClearSteering(); }
  SteeringCleared(const SteeringCleared&) = delete;
  SteeringCleared& operator=(const SteeringCleared&) = delete;

 private:
  engine::LanguageModel& model_;
};

}  // namespace

Result<std::vector<int>> SteeringLayers(const SteeringVector& v, const std::vector<int>& requested) {
  std::vector<int> layers;
  if (requested.empty()) {
    for (const auto& [layer, direction] : v.directions) layers.push_back(layer);
    return layers;
  }
  for (int layer : requested) {
    if (!v.directions.count(layer)) return Status::InvalidArgument("no direction for layer " + std::to_string(layer));
    layers.push_back(layer);
  }
  return layers;
}

Result<std::vector<int>> SweepSteering(engine::LanguageModel& model, const SteeringVector& v,
                                       const SteeringSweepOptions& o, const std::function<Status(double scale)>& measure) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> layers, SteeringLayers(v, o.layers));
  SteeringCleared cleared(model);
  for (double scale : o.scales) {
    model.ClearSteering();
    for (int layer : layers) {
      WARDEN_RETURN_IF_ERROR(
          model.AddSteering("blocks." + std::to_string(layer) + ".hook_resid_post", v.directions.at(layer), scale));
    }
    WARDEN_RETURN_IF_ERROR(measure(scale));
  }
  return layers;
}

}  // namespace warden::interp
