#include "warden/interp/patching.h"

#include "engine/torch_pch.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::interp {

Result<PatchingReport> PatchHooks(const engine::LanguageModel& lm, const std::vector<int32_t>& source,
                                  const std::vector<int32_t>& target, const std::vector<int32_t>& answer,
                                  const std::string& pattern, const std::vector<int64_t>& positions) {
  if (source.size() != target.size() || source.empty()) {
    return Status::InvalidArgument("patching needs source and target prompts of the same token length (" +
                                   std::to_string(source.size()) + " vs " + std::to_string(target.size()) + ")");
  }
  if (answer.empty()) return Status::InvalidArgument("patching needs a non-empty answer");
  const engine::Model& model = lm.model();
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> ids, model.hook_points().Match(pattern));
  std::vector<int64_t> at;
  for (int64_t p : positions) {
    const int64_t n = static_cast<int64_t>(target.size());
    const int64_t q = p < 0 ? n + p : p;
    if (q < 0 || q >= n) {
      return Status::InvalidArgument("patch position " + std::to_string(p) + " is outside the prompt's " +
                                     std::to_string(n) + " tokens");
    }
    at.push_back(q);
  }
  PatchingReport report;
  try {
    c10::InferenceMode guard;
    auto run = [&](const std::vector<int32_t>& prompt, const engine::Hooks* hooks) {
      std::vector<int32_t> seq = prompt;
      seq.insert(seq.end(), answer.begin(), answer.end() - 1);
      torch::Tensor lp = torch::log_softmax(model.Forward(engine::ForwardBatch::LeftPadded({seq}, model.device()), nullptr, hooks)[0], -1);
      double total = 0;
      for (size_t j = 0; j < answer.size(); ++j) {
        total += lp[static_cast<int64_t>(prompt.size() + j) - 1][answer[j]].item<double>();
      }
      return total;
    };
    // The source run, caching every matched hook (over the prompt and the answer's tokens).
    engine::ActivationCache cache;
    engine::Hooks capture(model.hook_points());
    WARDEN_RETURN_IF_ERROR(capture.Capture(pattern, &cache));
    report.source = run(source, &capture);
    report.target = run(target, nullptr);
    for (int id : ids) {
      const std::string& name = model.hook_points().Name(id);
      engine::Hooks patch(model.hook_points());
      if (at.empty()) {
        engine::ActivationCache one;
        for (const torch::Tensor& chunk : cache.Chunks(name)) one.Append(name, chunk);
        WARDEN_RETURN_IF_ERROR(patch.PatchFrom(name, one));
      } else {
        const int axis = engine::HookPoints::PosAxis(model.hook_points().Kind(id));
        WARDEN_ASSIGN_OR_RETURN(torch::Tensor src, cache.Stacked(name));
        if (src.dim() <= axis) return Status::InvalidArgument("hook " + name + " has no position axis to patch");
        torch::Tensor index = torch::tensor(at, torch::kLong);
        torch::Tensor values = src.index_select(axis, index);
        WARDEN_RETURN_IF_ERROR(patch.Add(name, [axis, index, values](torch::Tensor& act, const engine::HookEvent&) {
          act = act.index_copy(axis, index.to(act.device()), values.to(act.device(), act.scalar_type()));
        }));
      }
      PatchResult r;
      r.hook = name;
      r.metric = run(target, &patch);
      const double span = report.source - report.target;
      r.normalised = span == 0 ? 0 : (r.metric - report.target) / span;
      report.hooks.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("patching failed: ") + e.what());
  }
  return report;
}

}  // namespace warden::interp
