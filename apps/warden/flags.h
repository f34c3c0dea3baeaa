// Flag values checked while the command line is parsed, so that a bad value is a usage error
// (exit 2) whose message names the flag and the value, before anything is loaded:
//   --position: unknown position rule 'x' (last-prompt, response-mean, last)
//   --limit: must be >= 0, got '-1'
//   Could not convert: --layers = x        (CLI11 itself, for a number that does not parse)
// The name validators ask the library's own parser, so the accepted names are never listed twice.
#pragma once

#include <CLI/CLI.hpp>

namespace warden::cli {

// Numbers. CLI11 reads "-1" into an unsigned flag as a huge count, so every unsigned flag (counts,
// limits, seeds) takes NonNegative. A value that is not a number passes both, for CLI11's
// conversion to refuse.
CLI::Validator NonNegative();  // >= 0
CLI::Validator Positive();     // > 0

// "llama2", "chatml" or "warden"; with `auto_or_none` also "auto" (detect from the tokenizer)
// and "none" (plain text), as engine::ResolveChatFormat reads them.
CLI::Validator IsChatFormat(bool auto_or_none = true);
CLI::Validator IsPositionRule();  // interp::PositionRuleFromName
CLI::Validator IsProbeKind();     // interp::ProbeKindFromName
CLI::Validator IsSolver();        // evals::SolverKindFromName
CLI::Validator IsScorer();        // evals::MakeScorer, or "judge"
CLI::Validator IsRole();          // casebook::RoleFromName

}  // namespace warden::cli
