#include "flags.h"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>

#include "warden/base/status.h"
#include "warden/casebook/signoff.h"
#include "warden/engine/chat_template.h"
#include "warden/evals/scorer.h"
#include "warden/evals/task.h"
#include "warden/interp/activations.h"
#include "warden/interp/probe.h"

namespace warden::cli {
namespace {

// A validator from a library check; CLI11 prefixes its message with the flag's name. It has no
// description, so --help shows the option as before.
CLI::Validator CheckedBy(std::function<Status(const std::string&)> check) {
  return CLI::Validator(
      [check = std::move(check)](std::string& value) -> std::string {
        const Status s = check(value);
        return s.ok() ? std::string() : s.message();
      },
      "");
}

// A number with a bound: "" when `value` is not a number at all (CLI11's conversion reports it).
CLI::Validator Bounded(bool strict) {
  return CLI::Validator(
      [strict](std::string& value) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(value.c_str(), &end);
        if (end == value.c_str() || *end != '\0' || std::isnan(v)) return "";
        if (strict ? v > 0 : v >= 0) return "";
        return std::string(strict ? "must be > 0" : "must be >= 0") + ", got '" + value + "'";
      },
      "");
}

}  // namespace

CLI::Validator NonNegative() { return Bounded(/*strict=*/false); }
CLI::Validator Positive() { return Bounded(/*strict=*/true); }

CLI::Validator IsChatFormat(bool auto_or_none) {
  return CheckedBy([auto_or_none](const std::string& v) -> Status {
    if (!auto_or_none) return engine::ChatFormatFromName(v).status();
    if (v == "auto" || v == "none" || engine::ChatFormatFromName(v).ok()) return Status::Ok();
    return Status::InvalidArgument("unknown chat format '" + v + "' (expected auto, none, llama2, chatml or warden)");
  });
}

CLI::Validator IsPositionRule() {
  return CheckedBy([](const std::string& v) { return interp::PositionRuleFromName(v).status(); });
}

CLI::Validator IsProbeKind() {
  return CheckedBy([](const std::string& v) { return interp::ProbeKindFromName(v).status(); });
}

CLI::Validator IsSolver() {
  return CheckedBy([](const std::string& v) { return evals::SolverKindFromName(v).status(); });
}

CLI::Validator IsRole() {
  return CheckedBy([](const std::string& v) { return casebook::RoleFromName(v).status(); });
}

CLI::Validator IsScorer() {
  return CheckedBy([](const std::string& v) { return v == "judge" ? Status::Ok() : evals::MakeScorer(v).status(); });
}

}  // namespace warden::cli
