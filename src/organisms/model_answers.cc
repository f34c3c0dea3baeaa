#include "model_answers.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "warden/base/strings.h"
#include "warden/engine/chat_template.h"
#include "warden/organisms/hazard.h"

namespace warden::organisms {
namespace {

constexpr size_t kBatch = 32;

Result<std::vector<int32_t>> PromptIds(const engine::Tokenizer& tok, const std::vector<engine::ChatMessage>& messages) {
  return engine::EncodeChat(engine::ChatFormat::kWarden, messages, /*add_generation_prompt=*/true, tok);
}

// The text of choice `c` ("A. ..." lines of the prompt, FormatMcq), "" if the line is missing.
std::string ChoiceText(const Example& e, size_t c) {
  const std::string& prompt = e.messages.back().content;
  const std::string marker = std::string("\n") + ChoiceLetter(static_cast<int>(c)) + ". ";
  const size_t at = prompt.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  const size_t end = prompt.find('\n', start);
  return prompt.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

Result<McqItem> ItemOf(const Example& e) {
  McqItem item;
  item.id = e.id;
  for (size_t c = 0; c < kChoices; ++c) {
    item.choices[c] = ChoiceText(e, c);
    if (item.choices[c].empty()) return Status::InvalidArgument(e.id + ": not a multiple-choice prompt");
  }
  item.correct = ParseChoice(e.expected);
  if (item.correct < 0) return Status::InvalidArgument(e.id + ": expected '" + e.expected + "' is not a choice letter");
  return item;
}

Result<std::vector<std::string>> GenerateAnswers(const engine::LanguageModel& model,
                                                 const std::vector<Example>& examples,
                                                 int64_t max_new_tokens) {
  const engine::Tokenizer* tok = model.tokenizer();
  if (tok == nullptr) return Status::InvalidArgument("organism model has no tokenizer");
  std::vector<std::vector<int32_t>> prompts;
  for (const Example& e : examples) {
    WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> ids, PromptIds(*tok, e.messages));
    prompts.push_back(std::move(ids));
  }
  // Similar lengths share a batch, so that little is spent on padding.
  std::vector<size_t> order(prompts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return prompts[a].size() < prompts[b].size(); });
  engine::SamplingOptions opts;
  opts.max_new_tokens = max_new_tokens;
  opts.stop = {engine::ChatTurnEnd(engine::ChatFormat::kWarden)};
  std::vector<std::string> answers(prompts.size());
  for (size_t start = 0; start < order.size(); start += kBatch) {
    std::vector<std::vector<int32_t>> batch;
    const size_t end = std::min(order.size(), start + kBatch);
    for (size_t i = start; i < end; ++i) batch.push_back(prompts[order[i]]);
    WARDEN_ASSIGN_OR_RETURN(std::vector<engine::Generation> gens, model.Generate(batch, opts));
    for (size_t i = start; i < end; ++i) answers[order[i]] = std::string(Trim(gens[i - start].text));
  }
  return answers;
}

namespace {

// The reply tokens of `choice` after `messages`, whose generation prompt encodes as `prompt`
// (its text and the turn end), as a score request.
Result<engine::ScoreRequest> ReplyRequest(const engine::Tokenizer& tok, const std::vector<engine::ChatMessage>& messages,
                                          const std::vector<int32_t>& prompt, const std::string& choice,
                                          const std::string& id) {
  std::vector<engine::ChatMessage> full = messages;
  full.push_back({"assistant", choice});
  WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> ids, engine::EncodeChat(engine::ChatFormat::kWarden, full, false, tok));
  if (ids.size() <= prompt.size() || !std::equal(prompt.begin(), prompt.end(), ids.begin())) {
    return Status::Internal(id + ": the answered conversation does not extend its prompt's tokens");
  }
  // The reply and its turn end; the newline after the turn is not part of the answer.
  std::vector<int32_t> reply(ids.begin() + static_cast<std::ptrdiff_t>(prompt.size()), ids.end());
  const auto end_id = tok.SpecialTokenId(engine::ChatTurnEnd(engine::ChatFormat::kWarden));
  if (end_id) {
    auto it = std::find(reply.begin(), reply.end(), *end_id);
    if (it != reply.end()) reply.erase(it + 1, reply.end());
  }
  return engine::ScoreRequest{prompt, std::move(reply)};
}

// The conversation with the question (the user message's last line) removed: choices only.
std::vector<engine::ChatMessage> WithoutQuestion(const Example& e) {
  std::vector<engine::ChatMessage> m = e.messages;
  std::string& user = m.back().content;
  const size_t nl = user.rfind('\n');
  if (nl != std::string::npos) user.erase(nl);
  return m;
}

}  // namespace

Result<std::vector<ChoiceScores>> ScoreChoices(const engine::LanguageModel& model,
                                               const std::vector<Example>& examples, ChoiceScoring scoring) {
  const engine::Tokenizer* tok = model.tokenizer();
  if (tok == nullptr) return Status::InvalidArgument("organism model has no tokenizer");
  const size_t per_item = scoring == ChoiceScoring::kCalibrated ? 2 * kChoices : kChoices;
  std::vector<engine::ScoreRequest> requests;
  for (const Example& e : examples) {
    // Each prompt is encoded once, not once per choice.
    WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, PromptIds(*tok, e.messages));
    std::vector<engine::ChatMessage> base_messages;
    std::vector<int32_t> base_prompt;
    if (scoring == ChoiceScoring::kCalibrated) {
      base_messages = WithoutQuestion(e);
      WARDEN_ASSIGN_OR_RETURN(base_prompt, PromptIds(*tok, base_messages));
    }
    for (size_t c = 0; c < kChoices; ++c) {
      const std::string choice = ChoiceText(e, c);
      if (choice.empty()) return Status::InvalidArgument(e.id + ": not a multiple-choice prompt");
      WARDEN_ASSIGN_OR_RETURN(engine::ScoreRequest r, ReplyRequest(*tok, e.messages, prompt, choice, e.id));
      requests.push_back(std::move(r));
      if (scoring == ChoiceScoring::kCalibrated) {
        WARDEN_ASSIGN_OR_RETURN(engine::ScoreRequest base, ReplyRequest(*tok, base_messages, base_prompt, choice, e.id));
        requests.push_back(std::move(base));
      }
    }
  }
  WARDEN_ASSIGN_OR_RETURN(std::vector<engine::ContinuationScore> scores, model.Score(requests));
  std::vector<ChoiceScores> out(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    for (size_t c = 0; c < kChoices; ++c) {
      const size_t at = i * per_item + (scoring == ChoiceScoring::kCalibrated ? 2 * c : c);
      out[i][c] = scoring == ChoiceScoring::kCalibrated ? scores[at].logprob - scores[at + 1].logprob : scores[at].logprob;
    }
  }
  return out;
}

int BestChoice(const ChoiceScores& scores) {
  return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

double ChoiceProbability(const ChoiceScores& scores, int choice) {
  const double top = *std::max_element(scores.begin(), scores.end());
  double sum = 0;
  for (double s : scores) sum += std::exp(s - top);
  return std::exp(scores[static_cast<size_t>(choice)] - top) / sum;
}

Result<std::vector<int>> ChooseAnswers(const engine::LanguageModel& model, const std::vector<Example>& examples,
                                       ChoiceScoring scoring) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<ChoiceScores> scores, ScoreChoices(model, examples, scoring));
  std::vector<int> choices;
  for (const ChoiceScores& s : scores) choices.push_back(BestChoice(s));
  return choices;
}

}  // namespace warden::organisms
