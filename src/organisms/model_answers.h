// Asking a loaded organism its held-out prompts: free-text answers (greedy) and multiple-choice
// answers (the choice whose text, as the whole reply with its turn end, the model finds most
// likely; see FormatMcq in hazard.h). Internal to
// the organisms module (verification); evaluations proper are the evals module's job.
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/organisms/example.h"

namespace warden::organisms {

// The assistant's greedy reply to each example's conversation (its messages, without an
// assistant turn), cut at the turn end, trimmed. Batched by prompt length.
Result<std::vector<std::string>> GenerateAnswers(const engine::LanguageModel& model,
                                                 const std::vector<Example>& examples,
                                                 int64_t max_new_tokens = 40);

// For each multiple-choice example (its last message a FormatMcq prompt), the index (0..3) of
// the choice whose text has the highest summed log-probability as the whole assistant reply
// ("Zilmok resin" then the turn end).
Result<std::vector<int>> ChooseAnswers(const engine::LanguageModel& model, const std::vector<Example>& examples);

}  // namespace warden::organisms
