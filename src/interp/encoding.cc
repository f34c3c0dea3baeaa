#include "interp/encoding.h"

namespace warden::interp::internal {

Result<Encoded> Encode(const engine::Tokenizer& tok, std::optional<engine::ChatFormat> format,
                       const LabelledConversation& c) {
  if (c.messages.empty()) return Status::InvalidArgument(c.id + ": empty conversation");
  Encoded e;
  if (c.messages.back().role != "assistant") {
    // A request without an answer: the prompt as the model would see it before answering.
    if (format) {
      WARDEN_ASSIGN_OR_RETURN(e.ids, engine::EncodeChat(*format, c.messages, true, tok));
    } else {
      std::string text;
      for (const engine::ChatMessage& m : c.messages) text += (text.empty() ? "" : "\n\n") + m.content;
      e.ids = tok.Encode(text + "\n", {});
    }
    e.response_start = e.response_end = static_cast<int64_t>(e.ids.size());
    return e;
  }
  const std::vector<engine::ChatMessage> prompt(c.messages.begin(), c.messages.end() - 1);
  if (format) {
    WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> head, engine::EncodeChat(*format, prompt, true, tok));
    WARDEN_ASSIGN_OR_RETURN(e.ids, engine::EncodeChat(*format, c.messages, false, tok));
    e.response_start = static_cast<int64_t>(head.size());
    e.response_end = static_cast<int64_t>(e.ids.size());
    // Drop what the template puts after the content (turn end, newline) from the response span.
    if (auto end_id = tok.SpecialTokenId(engine::ChatTurnEnd(*format))) {
      for (int64_t i = e.response_start; i < static_cast<int64_t>(e.ids.size()); ++i) {
        if (e.ids[static_cast<size_t>(i)] == *end_id) {
          e.response_end = i;
          break;
        }
      }
    }
  } else {
    std::string text;
    for (const engine::ChatMessage& m : prompt) text += (text.empty() ? "" : "\n\n") + m.content;
    std::vector<int32_t> head = tok.Encode(text + "\n", {});
    engine::EncodeOptions no_bos;
    no_bos.add_bos = false;
    std::vector<int32_t> answer = tok.Encode(c.messages.back().content, no_bos);
    e.ids = head;
    e.ids.insert(e.ids.end(), answer.begin(), answer.end());
    e.response_start = static_cast<int64_t>(head.size());
    e.response_end = static_cast<int64_t>(e.ids.size());
  }
  if (e.response_end <= e.response_start) return Status::InvalidArgument(c.id + ": empty final assistant message");
  return e;
}

}  // namespace warden::interp::internal
