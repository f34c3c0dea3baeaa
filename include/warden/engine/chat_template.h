// Chat templates: a list of messages rendered to the exact prompt text a model was trained on.
// Torch-free.
#pragma once

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

}  // namespace warden::engine
