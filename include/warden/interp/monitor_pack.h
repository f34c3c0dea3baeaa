// Monitor packs: a trained probe as one deployable file (safetensors): its weights and
// standardisation as tensors, and in the metadata the hook it reads, the position rule, the
// threshold with the false-positive rate it was calibrated to (and reached, on which data), the
// sha256 of the model it was trained on, and the ids of every sample used to build it
// (provenance: a training run can refuse data a monitor was built from).
//
// Loading a pack for a model with another sha256 is an error: a probe's direction means nothing
// in another model's activations. (A text monitor, text_monitor.h, reads words: it has no model
// sha256 and loads for any.)
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/activations.h"
#include "warden/interp/probe.h"

namespace warden::interp {

inline constexpr const char* kMonitorPackFormat = "warden-monitor-pack/1";

struct MonitorPack {
  std::string name;  // what it detects, e.g. "instructed-deception"
  Probe probe;
  std::string hook;
  PositionRule position = PositionRule::kResponseMean;
  double threshold = 0;        // a score strictly above it fires
  double target_fpr = 0;       // what the threshold was calibrated to
  double calibration_fpr = 0;  // the rate it reached on the calibration negatives
  std::string calibration_data;
  std::string model_sha256;
  std::vector<std::string> trained_on;  // sample ids used to train or calibrate
};

Status WriteMonitorPack(const MonitorPack& pack, const std::string& path);
// `expected_model_sha256` empty: no check (for inspection only).
Result<MonitorPack> ReadMonitorPack(const std::string& path, const std::string& expected_model_sha256);

// Ids in `candidates` that a pack was built from: what a training run must not use.
std::vector<std::string> OverlapWithPack(const MonitorPack& pack, const std::vector<std::string>& candidates);

}  // namespace warden::interp
