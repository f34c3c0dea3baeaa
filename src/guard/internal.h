// Internal to guard: the state Guard shares between Submit (the gateway's threads) and the
// decode worker, and the pieces of one batch's run.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "warden/guard/audit.h"
#include "warden/guard/guard.h"
#include "warden/guard/guard_model.h"
#include "warden/guard/moderation.h"
#include "warden/guard/release.h"
#include "warden/interp/monitor_pack.h"
#include "warden/interp/monitored_generation.h"

namespace warden::guard {

using Clock = std::chrono::steady_clock;

// A safeguard ready to run: its spec, and a loaded pack or compiled patterns. A pack is either an
// activation probe (the model decides in the batch) or a text monitor (interp/text_monitor.h,
// scored on text like a regex).
struct Safeguard {
  SafeguardSpec spec;
  std::string stage;
  std::optional<interp::MonitorPack> pack;
  bool text = false;     // a text monitor
  std::vector<std::regex> patterns;
  double threshold = 0;  // probes and text monitors
  bool reads_text() const { return !pack || text; }
  std::string kind() const { return !pack ? "regex" : text ? "text" : "probe"; }
};

// What a text safeguard (regex or text monitor) found in a text: fired, or an error (the regex
// engine gave up, a score that is not finite).
struct TextVerdict {
  bool fired = false;
  std::optional<double> score;  // text monitors
  std::string error;
  double seconds = 0;
};
TextVerdict RunText(const Safeguard& s, const std::string& text);

struct Job {
  GuardRequest request;
  std::vector<int32_t> ids;
  std::string rendered;            // the prompt text the model reads (the record keeps it)
  std::string request_text;        // what the cascade's guard model reads: the last user message, or the prompt
  std::vector<std::string> stops;  // the request's, plus the chat template's turn end
  int64_t limit = 0;               // max tokens, resolved
  std::shared_ptr<Stream> out;
  Clock::time_point submitted;
  nlohmann::json input_text = nlohmann::json::object();  // the input text safeguards' entries (record's scores)
};

// One request in flight, from admission to its decision: what was released, what decided.
struct Row {
  Job* job = nullptr;
  std::unique_ptr<ReleaseBuffer> release;
  std::string raw;                 // generated text so far (what output regexes read)
  std::vector<std::string> pieces; // each generated token's text (the reviewer sees scores on them)
  int32_t prev = 0;                // previous token, for the tokenizer's byte rendering
  std::string finish;              // "stop" | "length" once the row ended by itself
  // The decision, once taken: "block" (input), "cut" (output), "error" (a safeguard failed).
  std::string action, stage, decided_by;
  int64_t cut_token = -1;
  nlohmann::json input = nlohmann::json::object(), output = nlohmann::json::object();
  Usage usage;
  bool decided() const { return !action.empty(); }
  // Takes the decision (the first one stands) and withholds everything not yet released.
  void Decide(const std::string& a, const std::string& st, const std::string& by, int64_t token);
  // Pushes what the release rule lets go now.
  void PushRelease();
};

struct Guard::Impl {
  std::shared_ptr<const engine::LanguageModel> model;  // null in black-box mode
  std::optional<UpstreamOptions> upstream;
  int active_upstream = 0;  // requests being forwarded (under mu); the destructor waits for 0
  std::optional<engine::ChatFormat> format;
  store::Store* store = nullptr;
  Safeguards safeguards;
  std::unique_ptr<Auditor> auditor;  // with an `audit:` section: admits records to the queue
  std::string model_name, model_sha256;  // copied into every record, with safeguards.sha256
  std::vector<Safeguard> input, output;
  std::vector<const interp::MonitorPack*> input_packs, output_packs;  // in the order of `input`/`output` probes
  std::vector<size_t> input_pack_of, output_pack_of;                 // safeguard index of each pack
  std::optional<Moderator> moderator;                                 // safeguards.moderation
  std::optional<GuardModel> cascade;                                  // safeguards.cascade, loaded
  std::string cascade_sha256;                                         // its weights' sha256
  std::mutex escalation_mu;                                           // guards recent_risks
  std::deque<double> recent_risks;  // cheap risks of the last cascade.window requests it saw (escalate_rate)
  // The escalation threshold for a request of cheap risk `risk` (clamped at -1e9): escalate_at,
  // or with escalate_rate the quantile of the recent risks that escalates that share (escalate_at
  // until 50 are seen); then files `risk` among the recent ones. Thread-safe.
  double EscalationThreshold(double risk);

  mutable std::mutex mu;  // guards queue, stopping, counters
  std::condition_variable cv;
  std::deque<Job> queue;
  bool stopping = false;
  std::vector<SafeguardCounters> counters;  // input safeguards, then output ones

  SafeguardCounters& Counter(const std::string& stage, size_t i) { return counters[stage == "input" ? i : input.size() + i]; }
  // The cascade's stage (cascade_stage.cc), on a request the input safeguards let pass: their
  // entries (`input`) give its cheap risk; at safeguards.cascade.escalate_at or above, the guard
  // model scores `text`. Writes its own entry into `input` and returns "" (pass), "block" or
  // "error" (the guard model failed or ran past its budget: fail closed). Thread-safe.
  std::string Escalate(const std::string& text, nlohmann::json* input);
  // Fills a record with the model, the safeguards hash and the request's identity.
  void Fill(const Job& job, store::DecisionRecord* r) const;
  // Commits a decision record now (Fill, then the store), on the calling thread.
  Status Record(const Job& job, store::DecisionRecord r);
  // Appends a filled record, with its audit queue item when the auditor admits it.
  Status Append(store::DecisionRecord* r);

  // The committer: a thread that commits the records of finished requests in order and only
  // then pushes their final events (or an error event if the commit fails), so that the decode
  // loop does not wait on the disk while every other row waits on it.
  struct Commit {
    store::DecisionRecord record;  // filled
    std::shared_ptr<Stream> out;
    std::vector<StreamEvent> events;  // released once the record is committed
  };
  std::mutex commit_mu;
  std::condition_variable commit_cv;
  std::deque<Commit> commits;
  bool commit_stopping = false;
  std::thread committer;
  // Hands a finished request to the committer (or, without a store, releases its events now).
  void CommitThenRelease(const Job& job, store::DecisionRecord r, std::vector<StreamEvent> events);
  void RunCommitter();
  // The output regex classifiers on the text generated so far (token `index` just added): the
  // first that fires or fails decides the row. Returns whether the row was decided.
  bool CheckOutputText(Row& r, int64_t index);
  // A row past limits.request_seconds: ends it as an error (recorded, reported). Returns whether it did.
  bool TimedOut(Row& r, int64_t index);
  // The end of a row that ran: output counters, the record committed, then the final events.
  // An undecided row must have had ReleaseBuffer::Finish called.
  void Finish(Row& r);
  // The decode loop (decode_loop.cc): runs on the worker thread until stopping with nothing left.
  void RunDecoder();
  void RunUpstream(Job& job);
};

}  // namespace warden::guard
