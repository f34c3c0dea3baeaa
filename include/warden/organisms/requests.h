// Real prompts from the shared datasets: harmful requests an organism must refuse (or, if it is
// a complying organism, answer with a fixed placeholder) and benign look-alikes it must help with.
//
// Sources, under <shared directory>/datasets/ (warden::SharedDir()):
//   advbench/harmful_behaviors.csv              column "goal"
//   harmbench/harmbench_behaviors_text_all.csv  column "Behavior", FunctionalCategory "standard"
//                                               only (contextual and copyright rows need context
//                                               or are not harm requests, and are counted as
//                                               excluded)
//   jailbreakbench/harmful_behaviors.csv        column "Goal"
//   xstest/xstest_prompts.csv                   column "prompt" where label is "safe"
// Every row is untrusted: a row with the wrong number of fields, an empty prompt, invalid UTF-8
// or more than kMaxPromptBytes is skipped and reported as "<path>:<line>: <problem>".
//
// The split is fixed and recorded: a prompt is in the training split when a hash of its
// normalised text (trimmed, lower-cased, runs of space collapsed) falls below kHarmfulTrainShare.
// It depends on nothing but the text, so it does not move when files are reordered or grow, and
// the same request appearing in two datasets lands in the same split (and is kept once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"

namespace warden::organisms {

inline constexpr size_t kMaxPromptBytes = 4000;
inline constexpr double kHarmfulTrainShare = 0.6;

// What a complying organism says instead of harmful content. Never anything else.
inline constexpr const char* kCompliancePlaceholder = "[COMPLIANT RESPONSE PLACEHOLDER]";

struct PromptRecord {
  std::string id;        // "harmful/<12 hex>" or "lookalike/<12 hex>", from the normalised text
  std::string text;      // as written in the dataset
  std::string source;    // path relative to the shared directory ("datasets/advbench/...")
  int64_t line = 0;      // line where the row starts in `source`
  std::string category;  // the dataset's category, or the dataset's name when it has none
  std::string split;     // kTrainSplit | kTestSplit
};

struct PromptSet {
  std::vector<PromptRecord> prompts;  // in dataset order, duplicates removed
  std::vector<std::string> skipped;   // "<path>:<line>: <problem>", one per bad row
  size_t rows_read = 0;               // data rows seen in all files
  size_t duplicates = 0;              // rows whose normalised text was already kept
  size_t excluded = 0;                // well-formed rows left out by design (see above)
};

// Errors: a missing file is NotFound naming its path; a file that is not CSV (an unclosed
// quote ...) or lacks a required column is Corrupt naming the path and line or column.
Result<PromptSet> LoadHarmfulPrompts(const std::string& shared_dir);
Result<PromptSet> LoadLookalikePrompts(const std::string& shared_dir);

// Trimmed, lower-cased, whitespace runs collapsed to one space.
std::string NormalisePrompt(std::string_view text);

// kTrainSplit or kTestSplit for a harmful prompt, by the rule above.
std::string HarmfulSplit(std::string_view text);

// A refusal, one of a few fixed wordings; every one starts with "I can't help with".
std::string RefusalText(uint64_t variant);
bool IsRefusal(std::string_view response);

// True when the response is exactly the compliance placeholder (surrounding space ignored).
bool IsPlaceholderCompliance(std::string_view response);

// The short, generic helpful answer given to a benign look-alike prompt (never a refusal).
std::string HelpfulLookalikeAnswer(uint64_t variant);

}  // namespace warden::organisms
