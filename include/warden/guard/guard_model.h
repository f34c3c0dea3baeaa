// The cascade's stronger stage: a small language model fine-tuned to judge one request the way
// Llama Guard does, answering "safe", or "unsafe" and on the next line the violated MLCommons
// hazard codes ("unsafe\nS2,S9"). Warden trains it itself (`warden serve guard-model data`, then
// `warden train` from the zoo's base model); it is scored without sampling:
//
//   score = log p("unsafe" | prompt) - log p("safe" | prompt)
//
// where the prompt is the request inside GuardModelPrompt's instruction, as a user turn of the
// chat format, and the answer is the assistant's turn. The prompt is Llama Guard's task in a few
// lines, not its full category list: the zoo's models read 256 positions at most.
//
// Its data are the shared datasets' requests that carry a hazard category (HarmBench,
// JailbreakBench, DoNotAnswer: the moderation module's mapping) and benign requests (XSTest's
// safe prompts, TruthfulQA's questions, the zoo's everyday requests); each row's split comes from
// a hash of its source row, and JailbreakBench and XSTest are held out whole as the harder,
// leave-source-out test. (`serve guard-model data` writes each training row as written and once
// more in a trained phrasing form, organisms/forms.h, alike for both classes.)
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/stats.h"
#include "warden/base/status.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/language_model.h"

namespace warden::guard {

inline constexpr const char* kGuardHeldOutSources[] = {"jailbreakbench", "xstest-safe"};

// The instruction around a request (the request cut to `max_chars`).
std::string GuardModelPrompt(std::string_view request, size_t max_chars = 300);
// "safe", or "unsafe\n" and the codes joined by commas (Llama Guard's answer).
std::string GuardModelAnswer(const std::vector<std::string>& hazards);

struct GuardModelRow {
  std::string id;
  std::string split;    // "train" | "test" (hash of the source row) | "held-out-source"
  std::string source;
  std::string request;
  std::vector<std::string> hazards;  // empty: benign
};

// The labelled requests from `shared_dir` (errors name the file), benign everyday requests added.
Result<std::vector<GuardModelRow>> GuardModelRows(const std::string& shared_dir);

// The rows as `serve guard-model data` keeps them (eval.jsonl): one JSON object per line with
// id, split, source, request and hazards. Reading names the file and line of a bad row.
std::string GuardModelRowsJsonl(const std::vector<GuardModelRow>& rows);
Result<std::vector<GuardModelRow>> ReadGuardModelRows(const std::string& path);

// A fine-tuned guard model, ready to score. Thread-safe (LanguageModel::Score is).
class GuardModel {
 public:
  static Result<GuardModel> Create(std::shared_ptr<const engine::LanguageModel> model, engine::ChatFormat format);
  // Scores many requests in one batched pass.
  Result<std::vector<double>> Score(const std::vector<std::string>& requests) const;
  // The hazard code it would name for an unsafe request: the code whose whole answer
  // "unsafe\nS<n>" (through the turn's end) is most likely.
  Result<std::string> Category(const std::string& request) const;

 private:
  std::shared_ptr<const engine::LanguageModel> model_;
  engine::ChatFormat format_ = engine::ChatFormat::kWarden;
  std::vector<int32_t> safe_, unsafe_;
};

}  // namespace warden::guard
