// Consistency checks: the same multiple-choice items asked again with the choices reordered
// (reversed, rotated by one) and labelled differently (1, 2, 3 instead of A, B, C). A model that
// knows an answer picks the same choice whatever its position or label; large swings in
// accuracy, or low agreement between variants, mean the measurement reflects the format more
// than the model (position and label biases are well documented: Zheng et al. 2024,
// arXiv:2309.03882) and are flagged.
//
// Applies to choice tasks whose input does not already list the choices (list_choices = true),
// since those are the ones whose format can be varied; others are an InvalidArgument error.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"
#include "warden/evals/task.h"

namespace warden::evals {

struct ConsistencyOptions {
  size_t limit = 0;            // first N items (0: all)
  double max_swing = 0.10;     // flag when accuracy varies by more than this between variants
  double min_agreement = 0.80; // flag when fewer items than this get the same choice in every variant
};

struct VariantResult {
  std::string name;  // "original", "reversed", "rotated", "numbered"
  Estimate accuracy;
  size_t errors = 0;
};

struct ConsistencyReport {
  std::string task;
  std::vector<VariantResult> variants;
  size_t items = 0;       // items answered (without error) in every variant
  double agreement = 0;   // share of those items with the same choice (by content) in every variant
  double swing = 0;       // max - min accuracy over variants
  bool flagged = false;
  std::string evidence;
  nlohmann::json ToJson() const;
};

Result<ConsistencyReport> CheckConsistency(const Task& task, ModelBackend& backend, const ConsistencyOptions& options);

}  // namespace warden::evals
