// The safeguards file: which monitors and classifiers guard `warden serve`, at what thresholds
// and time budgets, with how much holdback, and the gateway's limits. YAML, validated with
// errors that name the file and the field ("guard.yaml: output[1].threshold: expected a finite
// number"). Paths are relative to the file's directory.
//
//   holdback: 8                  # a token leaves only after it and 8 later tokens are scored
//   input:
//     - name: harm-request
//       probe: monitor-harm.safetensors   # a monitor pack (interp), bound to the model's sha256
//       threshold: 1.5           # optional: the pack's calibrated threshold otherwise
//       budget_ms: 100           # optional: over budget, the request is blocked (fail closed)
//     - name: deny-list
//       regex: ["(?i)nerve agent", "(?i)\\bsarin\\b"]   # a text classifier: any match fires
//   output:
//     - name: harm-output
//       probe: monitor-output.safetensors   # reads `last` or `response-mean`, per token
//       position: last           # optional: read the pack at another position rule than it
//                                # was trained at (e.g. a last-prompt request monitor per token)
//     - name: synthesis-topic
//       probe: topic.safetensors
//       mode: watch              # optional (input only): score and record, never block; what
//                                # fires counts toward the user's risk (users.h), not the audit's
//   store: {hash_only: false}
//   audit:                       # optional: the human audit queue (audit.h, /review)
//     risk_threshold: 0          # a record whose risk (audit.h) is at least this is queued
//     sample:                    # allowed records below it: a random sample, by risk band
//       - {min_risk: -2, rate: 0.05}   # bands from the highest min_risk down; the first that
//       - {min_risk: -1e9, rate: 0.01} # a record's risk reaches decides its rate
//     seed: 1                    # optional: the sampler's seed (default: random per process)
//   users:                       # optional: risk across each user's requests (users.h)
//     window_seconds: 86400      # how far back a user's requests count
//     watch_risk: -2             # a request whose risk is at least this is "watched"
//     elevated_after: 5          # this many watched requests in the window: elevated risk
//     elevated_requests_per_minute: 6   # their rate limit (0: the same as everyone's)
//     audit_elevated: true       # every request of a user at elevated risk enters the audit queue
//     safeguards: [synthesis-route]   # optional: only these safeguards' scores count (default: all)
//   cascade:                     # optional: the stronger stage (guard_model.h), on escalated requests
//     model: guard-model/        # a fine-tuned guard model (any format engine loads)
//     tokenizer: tokenizer.json  # optional: when the model's directory has none
//     escalate_at: -0.5          # a request whose cheap risk (audit.h's risk over the input
//                                # safeguards that do not watch) is at least this is escalated
//     threshold: 1.2             # it is blocked when the guard model's score is above this
//     escalate_rate: 0.2         # optional: hold the share escalated at this, online: the
//     window: 1000               # threshold becomes the quantile of the last `window` cheap
//                                # risks that sends this share on (escalate_at until 50 are seen)
//     name: guard-model          # optional: its name in records and metrics
//     budget_ms: 500             # optional: over budget, the request is blocked (fail closed)
//   moderation: moderation/      # optional: a moderator (moderation.h) for POST /v1/moderations
//   limits: {max_body_bytes: 1048576, max_messages: 64, max_tokens: 512, requests_per_minute: 0,
//            max_batch: 16, max_queue: 256, request_seconds: 300}
//
// A probe safeguard fires when its score is strictly above its threshold; a regex one when any
// pattern matches the request's text (input) or the generated text so far (output).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::engine {
class LanguageModel;
}

namespace warden::guard {

struct SafeguardSpec {
  std::string name;
  std::string probe;                 // monitor pack path (resolved), or ""
  std::vector<std::string> regex;    // patterns (ECMAScript; "(?i)" prefix: case-insensitive)
  bool has_threshold = false;
  double threshold = 0;
  double budget_ms = 0;              // 0: no budget
  std::string position;              // "" (the pack's) | "last-prompt" | "last" | "response-mean"
  bool watch = false;                // mode: watch (input only): scored and recorded, never blocks;
                                     // it counts toward its user's risk (users.h), not the audit's
  std::string where;                 // "input[0]": for messages
};

struct Limits {
  int64_t max_body_bytes = 1 << 20;
  int64_t max_messages = 64;
  int64_t max_tokens = 512;          // per request; also the default when a request names none
  int64_t requests_per_minute = 0;   // per API key (or per client address without keys); 0: none
  int64_t max_batch = 16;            // requests decoded together
  int64_t max_queue = 256;           // requests waiting for a batch; beyond, 429 (retry later)
  double request_seconds = 300;      // from admission to the last token; over it the request ends
                                     // as an error (504 if nothing was sent), recorded
};

// A band of allowed traffic sampled into the audit queue at `rate`.
struct SampleBand {
  double min_risk = 0;
  double rate = 0;  // in [0, 1]
};

struct AuditSpec {
  bool enabled = false;
  double risk_threshold = 0;
  std::vector<SampleBand> sample;  // sorted by min_risk, highest first
  bool has_seed = false;
  uint64_t seed = 0;
};

// Risk across a user's requests and conversations (users.h).
struct UsersSpec {
  bool enabled = false;
  int64_t window_seconds = 86400;
  double watch_risk = -2;
  int64_t elevated_after = 5;
  int64_t elevated_requests_per_minute = 0;
  bool audit_elevated = true;
  std::vector<std::string> safeguards;  // whose scores count toward a user's risk (empty: every one)
};

// The cascade's stronger stage (guard_model.h): the guard model scores a request only when the
// input safeguards let it pass with a cheap risk of at least `escalate_at`, and blocks it when
// its score is above `threshold` (`warden serve cascade-eval` calibrates both on held-out data and
// prints the section). With `escalate_rate`, the escalation threshold follows the traffic: a
// threshold calibrated on one distribution escalates another share of another (measured in
// docs/serve.md), so it becomes the quantile of recent cheap risks that escalates that share.
// The input stage's last step: after the text safeguards and the probes.
struct CascadeSpec {
  bool enabled = false;
  std::string name = "guard-model";
  std::string model;                 // path (resolved)
  std::string tokenizer;             // path (resolved), or "": the model's own
  double escalate_at = 0;
  double escalate_rate = 0;          // 0: escalate_at throughout; else the share held online
  int64_t window = 1000;             // cheap risks the online threshold is a quantile of
  double threshold = 0;
  double budget_ms = 0;              // 0: no budget
  // A caller that holds the guard model already (tests, evaluations) sets this instead of
  // `model`; otherwise the guard loads `model` at start.
  std::shared_ptr<const engine::LanguageModel> loaded;
};

struct Safeguards {
  std::string path;                  // "" : built in (no safeguards)
  std::string sha256;                // of the file's bytes ("" when built in)
  int64_t holdback = 8;
  std::vector<SafeguardSpec> input, output;
  bool hash_only = false;
  Limits limits;
  AuditSpec audit;
  UsersSpec users;
  CascadeSpec cascade;
  // A moderator directory (moderation.h) for POST /v1/moderations; "" : that route answers 404.
  std::string moderation;
};

Result<Safeguards> LoadSafeguards(const std::string& path);
Result<Safeguards> ParseSafeguards(const std::string& yaml_text, const std::string& source,
                                   const std::string& base_dir);

}  // namespace warden::guard
