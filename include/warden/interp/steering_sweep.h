// Steering at several scales: a control vector's layers added to a model's residual stream at
// each scale in turn, with a measurement taken at each: what `warden steer apply` runs
// (docs/interp.md). interp does not depend on evals (they are one layer), so the measurement
// comes in as a function; the CLI passes one that runs an evaluation suite.
//
//   SteeringSweepOptions o;  o.scales = {0, -1, 1};
//   SweepSteering(model, vector, o, [&](double scale) { return MeasureSomething(model, scale); });
#pragma once

#include <functional>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/interp/steering.h"

namespace warden::interp {

struct SteeringSweepOptions {
  std::vector<int> layers;              // layers to steer; empty: every layer the vector has
  std::vector<double> scales = {0, 1};  // in this order; 0 measures the unsteered model
};

// The layers a sweep steers: `requested` in its order, or every layer of the vector in
// increasing order when it is empty. Errors on the first requested layer the vector has no
// direction for ("no direction for layer 7").
Result<std::vector<int>> SteeringLayers(const SteeringVector& vector, const std::vector<int>& requested);

// For each scale in order: clears the model's steering, adds scale * direction.L at
// blocks.L.hook_resid_post for every layer L (LanguageModel::AddSteering), and calls
// measure(scale). The model is left without steering on return, whether the sweep succeeded,
// failed or `measure` threw. Returns the layers steered. Errors: those of SteeringLayers (before
// anything runs), a direction the model's hook does not fit, and the first error `measure`
// returns (the sweep stops there). Not thread-safe: nothing else may use the model meanwhile.
Result<std::vector<int>> SweepSteering(engine::LanguageModel& model, const SteeringVector& vector,
                                       const SteeringSweepOptions& options,
                                       const std::function<Status(double scale)>& measure);

}  // namespace warden::interp
