#include "warden/interp/replies.h"

#include "interp/encoding.h"

namespace warden::interp {

Result<std::vector<std::vector<double>>> ScoreReplies(const engine::LanguageModel& lm,
                                                      const std::vector<LabelledConversation>& data,
                                                      const std::vector<std::string>& replies,
                                                      const CaptureOptions& o) {
  const engine::Tokenizer* tok = lm.tokenizer();
  if (tok == nullptr) return Status::InvalidArgument("the model has no tokenizer");
  if (replies.empty()) return Status::InvalidArgument("no replies to score");
  WARDEN_ASSIGN_OR_RETURN(std::optional<engine::ChatFormat> format, engine::ResolveChatFormat(o.chat_format, *tok));
  std::vector<engine::ScoreRequest> requests;
  for (const LabelledConversation& c : data) {
    if (!c.messages.empty() && c.messages.back().role == "assistant") {
      return Status::InvalidArgument(c.id + ": ends in an answer; replies are scored after the user's turn");
    }
    WARDEN_ASSIGN_OR_RETURN(internal::Encoded prompt, internal::Encode(*tok, format, c));
    for (const std::string& reply : replies) {
      if (reply.empty()) return Status::InvalidArgument("an empty reply");
      // The reply encoded as the answer turn: the tokens after the prompt, up to the turn end.
      LabelledConversation answered = c;
      answered.messages.push_back({"assistant", reply});
      WARDEN_ASSIGN_OR_RETURN(internal::Encoded full, internal::Encode(*tok, format, answered));
      if (static_cast<int64_t>(full.ids.size()) > lm.config().n_ctx) {
        return Status::InvalidArgument(c.id + ": " + std::to_string(full.ids.size()) +
                                       " tokens with its reply, longer than the model's context of " +
                                       std::to_string(lm.config().n_ctx));
      }
      engine::ScoreRequest r;
      r.context.assign(full.ids.begin(), full.ids.begin() + full.response_start);
      r.continuation.assign(full.ids.begin() + full.response_start, full.ids.begin() + full.response_end);
      if (r.context != prompt.ids) {
        return Status::Internal(c.id + ": the reply changes how the prompt is tokenized");
      }
      requests.push_back(std::move(r));
    }
  }
  WARDEN_ASSIGN_OR_RETURN(std::vector<engine::ContinuationScore> scores, lm.Score(requests));
  std::vector<std::vector<double>> out(data.size(), std::vector<double>(replies.size()));
  for (size_t i = 0; i < data.size(); ++i) {
    for (size_t k = 0; k < replies.size(); ++k) out[i][k] = scores[i * replies.size() + k].logprob;
  }
  return out;
}

}  // namespace warden::interp
