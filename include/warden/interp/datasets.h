// The data the interp tools read, parsed from JSONL without LibTorch (so the parsers can be
// fuzzed): labelled conversations (probes, steering, SAEs) and contrast pairs (CCS).
//
// Labelled conversations, one per line:
//   {"id", "messages": [{"role", "content"}...], "label": 0|1, "split", "category", "cluster"}
// Contrast pairs, one per line: the same question answered (or asked) two ways, one true.
// Either by truth, put in a hidden order:
//   {"id", "true": [messages], "false": [messages], "split", "category", "cluster"}
//   {"id", "input": "question", "true": "answer", "false": "answer", ...}
// or by form, in that order (Burns et al.: the statement answered "Yes" and answered "No"),
// with "label" 1 when the "yes" side is the true one:
//   {"id", "yes": [messages] | "answer", "no": [messages] | "answer", "label": 0|1, ...}
// One file holds one kind.
// "label", "split", "category" and "cluster" are optional ("cluster" defaults to the id); a
// field of the wrong type, a bad line or a malformed message is a Corrupt error naming the file,
// the line and the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/chat_template.h"

namespace warden::interp {

struct LabelledConversation {
  std::string id;
  std::vector<engine::ChatMessage> messages;  // ends with the assistant turn to read
  int label = 0;                               // 0 or 1 (-1: unlabelled)
  std::string split;                           // "train" | "test" | ...
  std::string category;
  std::string cluster;                         // items sharing a source (default: the id)
};

Result<std::vector<LabelledConversation>> LoadLabelledConversations(const std::string& path);
// The same from text; `source` names it in errors.
Result<std::vector<LabelledConversation>> ParseLabelledConversations(std::string_view text, const std::string& source);

// A non-empty JSON array of {role, content} objects; errors are Corrupt and name `where`. Roles
// are checked later, where the conversation is encoded (engine::EncodeChat).
Result<std::vector<engine::ChatMessage>> ParseMessages(const nlohmann::json& messages, const std::string& where);

// Contrast pairs. By truth: each put in an order fixed by a hash of its id, so that "the first
// is the true one" is a balanced label the pair's position does not give away. By form: the
// "yes" side first (form_ordered). `first[i]` and `second[i]` carry the pair's id, split,
// category and cluster (label 1 on the true side, 0 on the other).
struct ContrastPairs {
  std::vector<LabelledConversation> first, second;
  std::vector<int> first_is_true;  // the hidden label: only for reporting accuracy
  bool form_ordered = false;       // every first side has one form, every second the other
  size_t size() const { return first.size(); }
};

Result<ContrastPairs> LoadContrastPairs(const std::string& path);
Result<ContrastPairs> ParseContrastPairs(std::string_view text, const std::string& source);

}  // namespace warden::interp
