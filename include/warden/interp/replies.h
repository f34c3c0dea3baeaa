// The model's own answers, to compare a probe with: how likely the model finds each of a few
// fixed replies ("True." / "False.") to each conversation. Burns et al. (2022) report CCS next
// to this zero-shot answer: a direction that only matches what the model says adds nothing.
//
//   auto s = ScoreReplies(model, pairs.first, {"True.", "False."}).value();
//   s[i][0] - s[i][1]  // the model's margin for "True." on conversation i
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/interp/activations.h"

namespace warden::interp {

// log p(reply | conversation) summed over the reply's tokens, for conversations that end in the
// user's turn, encoded as CaptureActivations encodes them (same chat format): out[i][k] is
// conversation i, replies[k]. Errors on a conversation that already ends in an answer, an
// empty reply, or one longer than the model's context.
Result<std::vector<std::vector<double>>> ScoreReplies(const engine::LanguageModel& model,
                                                      const std::vector<LabelledConversation>& data,
                                                      const std::vector<std::string>& replies,
                                                      const CaptureOptions& options = {});

}  // namespace warden::interp
