// Content moderation for `POST /v1/moderations`: OpenAI's 13 categories, with the MLCommons
// hazard categories S1-S14 (the taxonomy Llama Guard 3 answers in) beside them.
//
// A moderator is a directory of text monitors (interp/text_monitor.h), one per label it could
// be trained for, and a manifest (moderation.json) with each label's held-out figures. Labels
// are hazard codes ("S2") or OpenAI categories that no hazard covers ("harassment"). A text's
// score for a label is sigmoid(logit - threshold): 0.5 is the label's threshold, calibrated to
// a target false-positive rate on held-out benign text. An OpenAI category's score is the
// highest of its own label and the hazards mapped to it (Hazards()); a category or hazard that
// no trained label covers is *unscored*: score 0, never flagged, and listed as such, so that a
// zero is never mistaken for a measurement.
//
//   Moderator m = Moderator::Load("assessment/moderation").value();
//   ModerationResult r = m.Classify("How do I make a pipe bomb?");
//   r.flagged, r.category_scores["illicit/violent"], r.hazard_scores["S9"]
//
// Training (TrainModerator) reads the shared datasets whose rows carry categories (HarmBench's
// SemanticCategory, JailbreakBench's Category, DoNotAnswer's intents, the hate-speech labels),
// maps them with the table in moderation_data.cc, and uses benign text (XSTest's safe prompts,
// TruthfulQA's questions, the hate-speech set's "neither") as negatives for every label.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/monitor_pack.h"

namespace warden::guard {

// OpenAI's moderation categories, in the order its API lists them.
const std::vector<std::string>& OpenAiCategories();

struct Hazard {
  std::string code;                 // "S1"
  std::string name;                 // "Violent Crimes"
  std::vector<std::string> openai;  // the OpenAI categories it counts towards
};
const std::vector<Hazard>& Hazards();  // S1-S14

struct ModerationResult {
  bool flagged = false;
  std::map<std::string, bool> categories;         // every OpenAI category
  std::map<std::string, double> category_scores;  // every OpenAI category, in [0, 1]
  std::map<std::string, double> hazard_scores;    // every hazard code, in [0, 1]
  std::vector<std::string> flagged_hazards;       // codes over their threshold
  std::vector<std::string> unscored_categories, unscored_hazards;
};

// One labelled text for training: `labels` are the hazard codes and OpenAI-only labels it
// carries (empty: benign). `cluster` groups rows that must share a split (a source row).
struct ModerationExample {
  std::string text;
  std::vector<std::string> labels;
  std::string source;  // "harmbench", "hate-speech", ...
  std::string cluster;
};

// The labelled rows from `shared_dir`'s datasets (errors name the file and line).
Result<std::vector<ModerationExample>> LoadModerationExamples(const std::string& shared_dir);

struct ModerationTrainOptions {
  double target_fpr = 0.01;   // each label's threshold, on held-out benign validation rows
  double test_share = 0.25;   // clusters held out for the figures in the manifest
  size_t min_positives = 20;  // fewer positive training rows: the label stays unscored
};

// Trains one text monitor per label into `out_dir` and writes the manifest; `log` gets a line
// per label (its positives and held-out AUROC with its interval).
Status TrainModerator(const std::vector<ModerationExample>& examples, const ModerationTrainOptions& options,
                      const std::string& out_dir, std::string* log = nullptr);

// One entry of the response's `results`, in OpenAI's shape: flagged, categories,
// category_scores, category_applied_input_types (all "text"), and the extension field "warden":
// {"hazards": {"S1": {"name", "score", "flagged"}, ...}, "flagged_hazards", "unscored_categories",
// "unscored_hazards"}.
nlohmann::json ModerationResultJson(const ModerationResult& result);

// The harder split: for each source with labelled rows, every label is trained on the other
// sources and measured on that one (held-out rows of the benign sources stay negatives, as in
// TrainModerator). One line per (source, label) with positives in the source: its AUROC with
// the 95% interval, and recall and false-positive rate at the threshold calibrated elsewhere.
Result<std::string> LeaveSourceOut(const std::vector<ModerationExample>& examples, const ModerationTrainOptions& options);

class Moderator {
 public:
  // Reads `dir`/moderation.json and every pack it lists (each must be a text monitor).
  static Result<Moderator> Load(const std::string& dir);
  ModerationResult Classify(const std::string& text) const;
  const std::string& sha256() const { return sha256_; }  // of the manifest
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  std::vector<std::string> labels_;
  std::vector<interp::MonitorPack> packs_;  // parallel to labels_
  std::string sha256_;
};

}  // namespace warden::guard
