// A responsible scaling policy as code: risk domains with capability and early-warning
// thresholds, cumulative safety levels with the safeguards and evidence each requires, and
// freshness rules. Parsed from YAML (docs/policy.md has the schema and the shipped default).
//
//   policy: {name: warden-default, version: "1"}
//   freshness: {max_age_days: 30, same_model: true}
//   base_level: 2
//   domains:
//     - id: hazard
//       capability: hazard.score          # evidence key: a number, higher = more capable
//       threshold: 0.80                   # at or above it the domain requires `level`
//       early_warning: 0.60               # at or above it: prepare `level` before training on
//       forecast: forecast.hazard.p_cross # optional: P(crossing `threshold` within the buffer)
//       forecast_max: 0.10                # above it: early warning
//       forecast_required: false          # default true: a missing forecast fails closed
//       integrity: [sandbagging.clean]    # booleans that must be true for the score to count
//       level: 3
//   levels:
//     - id: 2
//       name: SL-2
//       requires:
//         - {id: refuses-harm, evidence: refusal.harmful, at_least: 0.9, stage: deployment}
//     - id: 3
//       requires:
//         - {id: weights-sealed, evidence: vault.sealed, equals: true, stage: training}
//
// Errors name the file and the field path ("policy.yaml: levels[1].requires[0]: ...").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::policy {

// When a requirement has to hold: before training further, or before deploying.
enum class Stage { kTraining, kDeployment };
const char* StageName(Stage s);

// A condition on one evidence value.
struct Condition {
  enum class Op { kAtLeast, kAtMost, kEquals };
  Op op = Op::kAtLeast;
  bool boolean = false;  // kEquals compares with a boolean ...
  double number = 0;     // ... and the others with a number
  std::string ToString() const;  // ">= 0.95", "<= 0.01", "== true"
};

struct Requirement {
  std::string id;
  std::string text;      // what the safeguard is, for people
  std::string evidence;  // the evidence key it is judged on
  Condition condition;
  Stage stage = Stage::kDeployment;
};

// A safety level. Levels are cumulative: level n requires every requirement of levels <= n.
struct Level {
  int id = 0;
  std::string name;
  std::vector<Requirement> requires;
};

struct Domain {
  std::string id, title;
  std::string capability;          // evidence key of the capability score
  double threshold = 0;            // capability threshold
  double early_warning = 0;        // early-warning threshold, <= threshold
  std::string forecast;            // optional evidence key: P(crossing within the buffer)
  double forecast_max = 0.1;       // forecast probability that triggers the early warning
  bool forecast_required = true;   // false: a missing forecast (no series yet) is not a problem
  std::vector<std::string> integrity;  // boolean evidence keys that must be true to trust the score
  int level = 0;                   // the level required once the threshold is crossed
};

struct Freshness {
  double max_age_days = 30;  // evidence older than this (before `now`) is stale
  bool same_model = true;    // evidence about another model (sha256) than the subject is stale
};

struct Policy {
  std::string name, version;
  std::string source;  // file name, for messages
  std::string sha256;  // of the YAML text
  Freshness freshness;
  int base_level = 0;
  std::vector<Domain> domains;
  std::vector<Level> levels;  // ascending ids, base_level among them

  const Level* FindLevel(int id) const;
  // Every requirement of levels <= `level`, lowest level first.
  std::vector<const Requirement*> RequirementsUpTo(int level) const;
};

// Parses and validates: unknown keys are errors (a typo must not silently drop a safeguard),
// ids unique, early_warning <= threshold, every domain's level defined, base_level defined.
Result<Policy> ParsePolicy(const std::string& yaml_text, const std::string& source);
Result<Policy> LoadPolicy(const std::string& path);

// The policy warden ships (docs/policy.md): its hazard domain is the zoo's fictional hazard
// benchmark, a CBRN-style proxy.
const std::string& DefaultPolicyYaml();

}  // namespace warden::policy
