// Activation patching: run a "source" prompt and a "target" prompt of the same length; for each
// chosen hook, rerun the target with that hook's activation replaced by the source's, and
// measure the log-probability of an answer. A hook whose patch moves the target's metric most of
// the way to the source's carries the information that differs between the two (Meng et al.
// 2022; Heimersheim & Nanda 2024, "How to use and interpret activation patching").
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"

namespace warden::interp {

struct PatchResult {
  std::string hook;
  double metric = 0;      // log p(answer | target with this hook patched from the source)
  double normalised = 0;  // (metric - target) / (source - target): 0 no effect, 1 all of it
};

struct PatchingReport {
  double source = 0;  // log p(answer | source)
  double target = 0;  // log p(answer | target), clean
  std::vector<PatchResult> hooks;
};

// `source` and `target` are token ids of equal length (prompts); `answer` the continuation
// whose log-probability is the metric. `positions` (prompt token indices; negative counts from
// the prompt's end, -1 = its last token) restricts each patch to those positions; empty patches
// every position. Errors when the lengths differ, a position is out of range or a hook is
// unknown or has no position axis.
Result<PatchingReport> PatchHooks(const engine::LanguageModel& model, const std::vector<int32_t>& source,
                                  const std::vector<int32_t>& target, const std::vector<int32_t>& answer,
                                  const std::string& hook_pattern, const std::vector<int64_t>& positions = {});

}  // namespace warden::interp
