// Internal to assess: the harmful-request monitor that a level-3 deployment requires, built for
// each subject on its own activations (interp::TrainMonitor over labelled requests: train rows
// to fit and calibrate, held-out rows to measure), written as a monitor pack and a report that
// the evidence and the safety case point into.
#pragma once

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

struct MonitorFigures {
  std::string report = "monitor-harm.json";  // relative to the subject's directory
  std::string hook;
  double recall = 0, recall_low = 0, recall_high = 0;  // held-out positives, Wilson 95%
  double fpr = 0;                                      // held-out negatives
  size_t positives = 0, negatives = 0;
  std::string Describe() const;
};

// Writes <dir>/monitor-harm.safetensors (the pack) and <dir>/monitor-harm.json (the report:
// {"test": {"recall", "recall_ci95": [low, high], "fpr", "auroc", ...}, "pack_sha256", ...}).
Result<MonitorFigures> BuildHarmMonitor(const engine::LanguageModel& lm, const MonitorData& data, const std::string& dir);

}  // namespace warden::assess::internal
