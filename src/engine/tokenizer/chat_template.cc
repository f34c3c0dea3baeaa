// Chat templates. Each format renders to segments, markup (the template's own text) or content
// (a message's text), so that EncodeChat can let special-token text count only in the markup.
#include "warden/engine/chat_template.h"

#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace {

struct Segment {
  std::string text;
  bool markup;
};

bool IsKnownRole(const std::string& role) { return role == "system" || role == "user" || role == "assistant"; }

Status CheckRoles(const std::vector<ChatMessage>& messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!IsKnownRole(messages[i].role)) {
      return Status::InvalidArgument("message " + std::to_string(i) + ": unknown role '" + messages[i].role +
                                     "' (expected system, user or assistant)");
    }
  }
  return Status::Ok();
}

// Python's str.strip() for ASCII whitespace, as Meta's reference applies it to contents.
std::string Strip(const std::string& s) {
  const char* ws = " \t\n\r\v\f";
  const size_t begin = s.find_first_not_of(ws);
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(ws) - begin + 1);
}

// Meta's llama/generation.py chat_completion: an optional system message is folded into the
// first user message inside <<SYS>> markers; then user/assistant strictly alternate, each
// pair is "<s>[INST] {user} [/INST] {assistant} </s>" and a final user message is
// "<s>[INST] {user} [/INST]" (the assistant's turn begins after it).
Result<std::vector<Segment>> RenderLlama2(std::vector<ChatMessage> messages, bool add_generation_prompt) {
  if (!messages.empty() && messages[0].role == "system") {
    if (messages.size() < 2 || messages[1].role != "user") {
      return Status::InvalidArgument("llama2: a system message must be followed by a user message");
    }
    messages[1].content = "<<SYS>>\n" + messages[0].content + "\n<</SYS>>\n\n" + messages[1].content;
    messages.erase(messages.begin());
  }
  if (messages.empty()) return Status::InvalidArgument("llama2: the conversation has no user message");
  for (size_t i = 0; i < messages.size(); ++i) {
    const char* want = i % 2 == 0 ? "user" : "assistant";
    if (messages[i].role != want) {
      return Status::InvalidArgument("llama2: message " + std::to_string(i) + " is '" + messages[i].role +
                                     "' but the format needs '" + want +
                                     "' there (one optional system message first, then user/assistant alternating)");
    }
  }
  if (add_generation_prompt && messages.back().role != "user") {
    return Status::InvalidArgument("llama2: a generation prompt needs the conversation to end with a user message");
  }
  std::vector<Segment> out;
  for (size_t i = 0; i < messages.size(); i += 2) {
    out.push_back({"<s>[INST] ", true});
    out.push_back({Strip(messages[i].content), false});
    out.push_back({" [/INST]", true});
    if (i + 1 < messages.size()) {
      out.push_back({" ", true});
      out.push_back({Strip(messages[i + 1].content), false});
      out.push_back({" </s>", true});
    }
  }
  return out;
}

// "<|im_start|>{role}\n{content}<|im_end|>\n" per message; "<|im_start|>assistant\n" to generate.
std::vector<Segment> RenderChatML(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::vector<Segment> out;
  for (const ChatMessage& m : messages) {
    out.push_back({"<|im_start|>" + m.role + "\n", true});
    out.push_back({m.content, false});
    out.push_back({"<|im_end|>\n", true});
  }
  if (add_generation_prompt) out.push_back({"<|im_start|>assistant\n", true});
  return out;
}

// docs/chat-format.md: "<|{role}|>\n{content}<|end|>\n" per message; "<|assistant|>\n" to generate.
std::vector<Segment> RenderWarden(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::vector<Segment> out;
  for (const ChatMessage& m : messages) {
    out.push_back({"<|" + m.role + "|>\n", true});
    out.push_back({m.content, false});
    out.push_back({"<|end|>\n", true});
  }
  if (add_generation_prompt) out.push_back({"<|assistant|>\n", true});
  return out;
}

Result<std::vector<Segment>> Render(ChatFormat format, const std::vector<ChatMessage>& messages,
                                    bool add_generation_prompt) {
  WARDEN_RETURN_IF_ERROR(CheckRoles(messages));
  switch (format) {
    case ChatFormat::kLlama2: return RenderLlama2(messages, add_generation_prompt);
    case ChatFormat::kChatML: return RenderChatML(messages, add_generation_prompt);
    case ChatFormat::kWarden: return RenderWarden(messages, add_generation_prompt);
  }
  return Status::InvalidArgument("unknown chat format");
}

}  // namespace

Result<ChatFormat> ChatFormatFromName(std::string_view name) {
  if (name == "llama2") return ChatFormat::kLlama2;
  if (name == "chatml") return ChatFormat::kChatML;
  if (name == "warden") return ChatFormat::kWarden;
  return Status::InvalidArgument("unknown chat format '" + std::string(name) + "' (expected llama2, chatml or warden)");
}

const char* ChatFormatName(ChatFormat f) {
  switch (f) {
    case ChatFormat::kLlama2: return "llama2";
    case ChatFormat::kChatML: return "chatml";
    case ChatFormat::kWarden: return "warden";
  }
  return "unknown";
}

Result<std::string> RenderChat(ChatFormat format, const std::vector<ChatMessage>& messages,
                               bool add_generation_prompt) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<Segment> segments, Render(format, messages, add_generation_prompt));
  std::string out;
  for (const Segment& s : segments) out += s.text;
  return out;
}

std::string ChatTurnEnd(ChatFormat format) {
  switch (format) {
    case ChatFormat::kLlama2: return "</s>";
    case ChatFormat::kChatML: return "<|im_end|>";
    case ChatFormat::kWarden: return "<|end|>";
  }
  return "";
}

Result<std::vector<int32_t>> EncodeChat(ChatFormat format, const std::vector<ChatMessage>& messages,
                                        bool add_generation_prompt, const Tokenizer& tokenizer) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<Segment> segments, Render(format, messages, add_generation_prompt));
  std::vector<TextSpan> spans;
  spans.reserve(segments.size());
  for (const Segment& s : segments) spans.push_back({s.text, /*trusted=*/s.markup});
  return tokenizer.EncodeSpans(spans, /*add_bos=*/false);
}

std::optional<ChatFormat> DetectChatFormat(const Tokenizer& tokenizer) {
  if (tokenizer.SpecialTokenId("<|assistant|>")) return ChatFormat::kWarden;
  if (tokenizer.SpecialTokenId("<|im_start|>")) return ChatFormat::kChatML;
  return std::nullopt;
}

Result<std::optional<ChatFormat>> ResolveChatFormat(std::string_view name, const Tokenizer& tokenizer) {
  if (name == "auto") return DetectChatFormat(tokenizer);
  if (name == "none") return std::optional<ChatFormat>();
  WARDEN_ASSIGN_OR_RETURN(ChatFormat f, ChatFormatFromName(name));
  return std::optional<ChatFormat>(f);
}

}  // namespace warden::engine
