// Checking one piece of evidence against the artifact on disk, as it is now.
//
// The artifact is `base_dir/evidence.path`. It must be a regular file (a device, a FIFO or a
// directory is refused: reading /dev/zero must not hang a validation). Its sha256 is compared
// with the one the case pins; then, if the condition needs a value, the document or JSONL record
// is parsed (JSON documents up to 256 MiB; JSONL is streamed, one line in memory at a time),
// the selector applied and the condition evaluated. The first failure decides the state; the
// value is still read, where possible, when only the hash differs, so reports can show it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "warden/casebook/safety_case.h"

namespace warden::casebook {

enum class EvidenceState {
  kOk,               // hash matches and the condition holds
  kMissing,          // the artifact vanished (or is not a regular file)
  kChanged,          // its sha256 differs from the one the case pins
  kUnreadable,       // present but cannot be read or parsed (bad JSON, no footer, torn line)
  kNoValue,          // the selector finds nothing (and the condition needs something)
  kConditionFailed,  // the value does not meet the condition
};
// "ok", "missing", "changed", "unreadable", "no-value", "condition-failed".
const char* EvidenceStateName(EvidenceState state);

struct EvidenceCheck {
  std::string node_id;
  Evidence evidence;              // as the case states it
  std::string resolved_path;      // base_dir joined with evidence.path
  std::string actual_sha256;      // "" when the file could not be hashed
  std::optional<nlohmann::json> value;  // what the selector found, when it could be read
  EvidenceState state = EvidenceState::kMissing;
  std::string reason;             // one line naming the artifact and the failure; "" when ok

  bool ok() const { return state == EvidenceState::kOk; }
};

// Checks `evidence` of solution `node_id`. Never fails as a whole: every problem is a state.
EvidenceCheck CheckEvidence(const std::string& node_id, const Evidence& evidence,
                            const std::string& base_dir);

// Reads the value `evidence` selects from the file at `path` (hash not checked). Errors name the
// file, the record and the selector. Exposed for tests and tools.
Result<nlohmann::json> ReadSelectedValue(const std::string& path, const Evidence& evidence);

}  // namespace warden::casebook
