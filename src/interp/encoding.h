// Internal to interp: how a labelled conversation becomes token ids, shared by activation
// capture and reply scoring so that both read the same tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/tokenizer.h"
#include "warden/interp/datasets.h"

namespace warden::interp::internal {

// The token ids of a conversation and where its final assistant message starts and ends.
struct Encoded {
  std::vector<int32_t> ids;
  int64_t response_start = 0;  // first token of the final message
  int64_t response_end = 0;    // one past its last content token (before the turn end)
};

// A conversation ending in the user's turn is the prompt before the answer (response_start =
// response_end = its length); one ending in an assistant turn marks that turn's content.
Result<Encoded> Encode(const engine::Tokenizer& tok, std::optional<engine::ChatFormat> format,
                       const LabelledConversation& c);

}  // namespace warden::interp::internal
