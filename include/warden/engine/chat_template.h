// Chat templates: a list of messages rendered to the exact prompt text a model was trained on.
// Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"

namespace warden::engine {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

enum class ChatFormat {
  kLlama2,  // "<s>[INST] <<SYS>>\n...\n<</SYS>>\n\n{user} [/INST] {assistant} </s>"
  kChatML,  // "<|im_start|>{role}\n{content}<|im_end|>\n"
  kWarden,  // warden's organism format (see docs/chat-format.md)
};

Result<ChatFormat> ChatFormatFromName(std::string_view name);  // "llama2" | "chatml" | "warden"
const char* ChatFormatName(ChatFormat f);

// Renders the conversation; with add_generation_prompt, ends with the opening of an assistant
// turn so that generation continues as the assistant. Errors on an unknown role or a
// conversation the format cannot express (e.g. Llama-2 with two system messages).
Result<std::string> RenderChat(ChatFormat format, const std::vector<ChatMessage>& messages,
                               bool add_generation_prompt);

// The text that ends an assistant turn in this format (a stop string for generation).
std::string ChatTurnEnd(ChatFormat format);

class Tokenizer;

// The chat format a tokenizer's special tokens announce: "<|assistant|>" -> warden,
// "<|im_start|>" -> ChatML; none for anything else (a base model, or Llama-2, whose vocabulary
// looks the same with and without chat tuning: name it explicitly).
std::optional<ChatFormat> DetectChatFormat(const Tokenizer& tokenizer);

// "auto" (DetectChatFormat), "none" (no template: returns nullopt), or a format's name.
Result<std::optional<ChatFormat>> ResolveChatFormat(std::string_view name, const Tokenizer& tokenizer);

// Renders and tokenizes in one step (no extra BOS: the Llama-2 template writes its own "<s>").
// Special-token text in the template's markup ("<s>", "<|im_start|>", "<|user|>" ...) becomes
// the special token; the same text inside a message's content stays plain text, so a user cannot
// forge a turn boundary (Tokenizer::EncodeSpans). When no content holds special-token text the
// ids equal Encode(RenderChat(...), {add_bos=false, parse_special=true}).
Result<std::vector<int32_t>> EncodeChat(ChatFormat format, const std::vector<ChatMessage>& messages,
                                        bool add_generation_prompt, const Tokenizer& tokenizer);

}  // namespace warden::engine
