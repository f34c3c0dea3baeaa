// Internal to assess: the harmful-request monitor that a level-3 deployment requires, built for
// each subject on its own activations (interp::TrainMonitor over labelled requests: train rows
// to fit and calibrate, held-out rows to measure), written as a monitor pack and a report that
// the evidence and the safety case point into.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/interp/datasets.h"

namespace warden::assess::internal {

struct MonitorData {
  std::string path;  // "" : no monitor is built (its evidence stays missing)
  std::vector<interp::LabelledConversation> rows;
};

// A detector's figures on one set of held-out rows, at the threshold calibrated to 1% FPR on
// the validation rows.
struct DetectorFigures {
  size_t positives = 0, negatives = 0;
  double recall = 0, recall_low = 0, recall_high = 0;  // Wilson 95%
  double fpr = 0;
  double auroc = -1, auroc_low = -1, auroc_high = -1;  // -1: undefined (one class only)
};

struct MonitorFigures {
  std::string report = "monitor-harm.json";  // relative to the subject's directory
  std::string hook;
  double recall = 0, recall_low = 0, recall_high = 0;  // all held-out positives, Wilson 95%
  double fpr = 0;                                      // all held-out negatives
  size_t positives = 0, negatives = 0;
  // By held-out protocol (the data's test categories: held-out, leave-source-out,
  // leave-form-out): the probe, and the bag-of-words baseline fitted on the same rows.
  std::map<std::string, DetectorFigures> probe_by_split, words_by_split;
  std::string Describe() const;
};

// Writes <dir>/monitor-harm.safetensors (the pack) and <dir>/monitor-harm.json (the report:
// {"test": {"recall", "recall_ci95": [low, high], "fpr", "auroc", ...}, "pack_sha256", ...}).
Result<MonitorFigures> BuildHarmMonitor(const engine::LanguageModel& lm, const MonitorData& data, const std::string& dir);

}  // namespace warden::assess::internal
