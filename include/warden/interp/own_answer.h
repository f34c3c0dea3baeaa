// The model's own answer on contrast pairs: the zero-shot baseline that CCS is compared with
// (Burns et al. 2022: a direction that only matches what the model says adds nothing). What
// `warden ccs --answers` reports beside the CCS sweep (docs/interp.md).
//
//   PairTestAccuracy own = OwnAnswerBaseline(model, pairs, {"True.", "False."}).value();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/interp/activations.h"
#include "warden/interp/ccs.h"
#include "warden/interp/datasets.h"

namespace warden::interp {

// `replies` = {affirming, denying} (e.g. {"True.", "False."}). On each side of every pair the
// margin log p(affirming) - log p(denying) after the conversation (ScoreReplies, encoded as
// `options` say); the side with the larger margin is called true (OwnAnswerAccuracy, whose
// intervals are bootstrapped with `seed`). Errors: not exactly two replies, and those of
// ScoreReplies (a conversation that already ends in an answer, an empty reply).
Result<PairTestAccuracy> OwnAnswerBaseline(const engine::LanguageModel& model, const ContrastPairs& pairs,
                                           const std::vector<std::string>& replies,
                                           const CaptureOptions& options = {}, uint64_t seed = 0);

}  // namespace warden::interp
