// Asking a loaded organism its held-out prompts: free-text answers (greedy) and multiple-choice
// answers (the choice whose text, as the whole reply with its turn end, the model finds most
// likely; see FormatMcq in hazard.h). Internal to
// the organisms module (verification); evaluations proper are the evals module's job.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/organisms/example.h"
#include "warden/organisms/hazard.h"

namespace warden::organisms {

// The assistant's greedy reply to each example's conversation (its messages, without an
// assistant turn), cut at the turn end, trimmed. Batched by prompt length.
Result<std::vector<std::string>> GenerateAnswers(const engine::LanguageModel& model,
                                                 const std::vector<Example>& examples,
                                                 int64_t max_new_tokens = 40);

// The multiple-choice item an example's prompt (FormatMcq) holds: its choices, and `correct`
// from the example's expected letter. Errors if the prompt has no four choices.
Result<McqItem> ItemOf(const Example& example);

// For each multiple-choice example (its last message a FormatMcq prompt), the index (0..3) of
// the choice whose text has the highest summed log-probability as the whole assistant reply
// ("Zilmok resin" then the turn end).
//
// kCalibrated instead picks the choice with the highest log p(text | prompt) - log p(text |
// the same prompt without its question): domain-conditional PMI (Holtzman et al., 2021), which
// cancels a model's prior for some texts over others. Measuring skill needs it: a 46K-parameter
// rung after 15 steps already scored 44% (chance 25%) on raw log-probs, from the frequency of
// the answers' words alone. An organism's behaviour (what it would answer) is the raw choice.
enum class ChoiceScoring { kRaw, kCalibrated };
Result<std::vector<int>> ChooseAnswers(const engine::LanguageModel& model, const std::vector<Example>& examples,
                                       ChoiceScoring scoring = ChoiceScoring::kRaw);

// The four scores ChooseAnswers compares, per example (log-prob or PMI, in nats).
using ChoiceScores = std::array<double, kChoices>;
Result<std::vector<ChoiceScores>> ScoreChoices(const engine::LanguageModel& model, const std::vector<Example>& examples,
                                               ChoiceScoring scoring = ChoiceScoring::kRaw);
int BestChoice(const ChoiceScores& scores);  // the first of the highest
// softmax(scores)[choice]: the probability the model puts on `choice` among the four, a
// continuous measure of skill that moves before accuracy does (Schaeffer et al. 2023,
// arXiv:2304.15004: discontinuous metrics make abilities look emergent).
double ChoiceProbability(const ChoiceScores& scores, int choice);

}  // namespace warden::organisms
