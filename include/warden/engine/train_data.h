// Training examples from text: plain documents, chats with the loss on the assistant's turns,
// and JSONL files of either. Torch-free (the trainer itself is in train.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/tokenizer.h"
#include "warden/engine/train.h"

namespace warden::engine {

// BOS (when the tokenizer adds one by default) + text + EOS (when it has one); every token after
// the first is a target, so the model also learns where a document ends.
TrainExample TextTrainExample(std::string_view text, const Tokenizer& tok);

// The chat encoded with EncodeChat (no generation prompt), with loss_mask 1 exactly on what each
// assistant message adds after the assistant prompt: its content and its turn end, not its
// header ("<|assistant|>\n") and not the other roles' turns. Found by encoding growing prefixes
// of the chat, which relies on each prefix's tokens being a prefix of the whole's (true of the
// three formats; where a tokenizer merges across the boundary, the merged token goes to the
// later message).
Result<TrainExample> ChatTrainExample(const std::vector<ChatMessage>& messages, ChatFormat format,
                                      const Tokenizer& tok);

// One example per non-blank line: {"text": "..."} (TextTrainExample) or {"messages": [{"role",
// "content"}, ...]} (ChatTrainExample; other keys are ignored). Errors name "<path>:<line>".
Result<std::vector<TrainExample>> ReadTrainJsonl(const std::string& path, ChatFormat format,
                                                 const Tokenizer& tok);

}  // namespace warden::engine
