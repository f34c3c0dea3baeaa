// Acceptance conditions on evidence values: the small language of `evidence.condition`.
//
//   exists            the selector found a value (any type, null included)
//   == VALUE, != VALUE
//   >= N, <= N, > N, < N
//
// VALUE is a number (0.95, -3, 1e-3), true, false, null, or a quoted string ('pass' or "pass";
// no escapes). Ordering needs a number on both sides (a boolean is not a number). Numbers compare
// as numbers (1 == 1.0); anything else compares by JSON type and value ("1" != 1).
// In YAML, quote a condition that starts with '>' ("condition: '>= 0.95'"): a bare '>' opens a
// folded block scalar.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "warden/base/status.h"

namespace warden::casebook {

struct Condition {
  enum class Op { kExists, kEq, kNe, kGe, kLe, kGt, kLt };
  Op op = Op::kExists;
  nlohmann::json operand;  // null for kExists

  // The canonical spelling: "exists", ">= 0.95", "== 'pass'", "== true".
  std::string ToString() const;
};

// Parses `text` (surrounding spaces ignored). Errors are InvalidArgument and say what was
// expected; the caller adds the file and field.
Result<Condition> ParseCondition(const std::string& text);

struct ConditionOutcome {
  bool met = false;
  std::string explanation;  // "0.93 >= 0.95 is false", "value is string, expected a number"
};

// Applies the condition to `value`; nullptr means the selector found nothing (only then does
// `exists` fail). Never throws.
ConditionOutcome EvaluateCondition(const Condition& c, const nlohmann::json* value);

}  // namespace warden::casebook
