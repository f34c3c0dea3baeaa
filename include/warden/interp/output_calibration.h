// Calibrating an output monitor on the model's own answers. A pack trained to read a request
// (last-prompt) can watch an answer token by token (position `last` or `response-mean`), but its
// threshold was set on requests, not on answers: read per token it fires on almost everything.
// Calibration lets the model answer benign requests, scores every token of every answer as the
// guard would (GenerateMonitored), and sets the threshold so that at most `target_fpr` of those
// answers would have been cut (a cut needs one token above it: each answer counts by its maximum).
//
//   OutputCalibration c = CalibrateOutputMonitor(lm, pack, benign_requests, {.position = kLast}).value();
//   WriteMonitorPack(c.pack, "monitor-output.safetensors");
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/interp/datasets.h"
#include "warden/interp/monitor_pack.h"

namespace warden::interp {

struct OutputCalibrationOptions {
  PositionRule position = PositionRule::kLast;  // last or response-mean
  double target_fpr = 0.01;
  int64_t max_tokens = 48;
  size_t batch_size = 16;
  std::string chat_format = "auto";
};

struct OutputCalibration {
  MonitorPack pack;                       // the input pack, read at `position`, new threshold
  size_t calibration_answers = 0;         // benign "train" rows answered
  double calibration_fpr = 0;             // reached on them
  // Each test category's benign rows (label 0, split other than "train"): answers cut at the
  // new threshold, of how many.
  std::map<std::string, std::pair<size_t, size_t>> test_cut;
};

// `data`: labelled requests (conversations ending with the user's turn); the benign ones
// (label 0) of split "train" calibrate, the other benign ones measure. Errors: no benign train
// rows, a position rule that cannot read an answer.
Result<OutputCalibration> CalibrateOutputMonitor(const engine::LanguageModel& model, const MonitorPack& pack,
                                                 const std::vector<LabelledConversation>& data,
                                                 const OutputCalibrationOptions& options);

}  // namespace warden::interp
