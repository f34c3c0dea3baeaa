// The safeguard pipeline of `warden serve` (../shared/design/SAFEGUARDS.md, steps 2-5): every
// request passes the input stage, decodes with its output monitors reading each token's
// activations, and ends in one decision record committed to the store before the decision
// leaves. The gateway only translates HTTP to GuardRequests and StreamEvents to HTTP.
//
//   auto guard = Guard::Create(model, "honest", LoadSafeguards("guard.yaml").value(), store).value();
//   std::shared_ptr<Stream> s = guard->Submit(request);
//   for (StreamEvent e = s->Next();; e = s->Next()) { ... e.text ...; if (e.final()) break; }
//
// Order of events on a stream: kAdmitted, then kDelta*, then kDone; or kBlocked (the input
// stage stopped it: nothing was generated for the client); or kError at any point (the model,
// the upstream or the store failed, or the request ran past limits.request_seconds; nothing more
// is released). A safeguard that errors (a NaN score, a regex
// that blew its complexity limit) or runs past its time budget decides like a firing one: fail
// closed, recorded with action "error".
//
// Black-box mode (CreateUpstream): each request is forwarded as it comes, streamed, with the
// text safeguards and holdback applied to the upstream's chunks; /v1/completions is refused.
//
// Batching: requests queued while a batch runs form the next batch (up to limits.max_batch,
// those with the same sampling settings together). A request joins at the next batch, not at the
// next step: continuous batching needs a step-wise engine API (issue 22).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/language_model.h"
#include "warden/guard/moderation.h"
#include "warden/guard/safeguards.h"
#include "warden/guard/users.h"
#include "warden/store/store.h"

namespace warden::guard {

struct GuardRequest {
  std::string request_id;
  std::string key_id;
  std::string user;
  std::vector<engine::ChatMessage> messages;  // a chat request: rendered with the model's template
  bool raw = false;                           // a completions request: `prompt` as is
  std::string prompt;
  int64_t max_tokens = 0;                     // 0: limits.max_tokens
  double temperature = 0;
  double top_p = 1;
  int64_t top_k = 0;
  uint64_t seed = 0;
  std::vector<std::string> stop;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct StreamEvent {
  enum class Kind { kAdmitted, kDelta, kDone, kBlocked, kError };
  Kind kind = Kind::kError;
  std::string text;           // kDelta
  std::string finish_reason;  // kDone: "stop" | "length" | "content_filter"
  std::string safeguard;      // kBlocked, and kDone with content_filter: who decided
  Usage usage;                // kDone, kBlocked
  Status error;               // kError
  double queue_seconds = 0;   // kAdmitted: time from Submit to the batch's start
  bool final() const { return kind == Kind::kDone || kind == Kind::kBlocked || kind == Kind::kError; }
};

// One request's events, in order. Thread-safe: the guard pushes, the gateway reads.
class Stream {
 public:
  void Push(StreamEvent e);
  // Blocks until there is one. Deltas that queued up behind each other come out as one (the
  // texts joined), so that a busy reader writes one chunk for several tokens.
  StreamEvent Next();
  // The client went away: the guard stops generating for this request at its next token and
  // records it with action "abandoned" (what the client received is the record's response).
  void Abandon() { abandoned_ = true; }
  bool abandoned() const { return abandoned_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<StreamEvent> events_;
  std::atomic<bool> abandoned_{false};
};

// Black-box mode: the guard in front of any OpenAI-compatible chat-completions server. Only text
// safeguards apply (a probe needs the weights); the upstream's stream is read chunk by chunk and
// each chunk counts as one token for holdback and cut indices.
struct UpstreamOptions {
  std::string base_url;        // "http://127.0.0.1:8000" (/v1/chat/completions is appended)
  std::string model;           // the upstream's model name
  std::string api_key;         // sent as a bearer token when not empty
  double timeout_seconds = 300;
};

// Counters of one safeguard since start-up (for /metrics).
struct SafeguardCounters {
  std::string name, stage, kind;  // stage "input" | "output"; kind "probe" | "regex"
  int64_t passed = 0, fired = 0, errors = 0;
  double seconds = 0;             // time spent scoring
  int64_t calls = 0;              // scorings (per batch for probes, per text for regexes)
};

class Guard {
 public:
  // Loads the safeguards' monitor packs (each must be bound to this model's sha256 and readable
  // at its hook) and starts the decode worker.
  static Result<std::unique_ptr<Guard>> Create(std::shared_ptr<const engine::LanguageModel> model,
                                               std::string model_name, Safeguards safeguards,
                                               store::Store* store);
  // Black-box mode (see UpstreamOptions): a safeguards file with a probe is an error.
  static Result<std::unique_ptr<Guard>> CreateUpstream(const UpstreamOptions& upstream, std::string model_name,
                                                       Safeguards safeguards, store::Store* store);
  ~Guard();  // finishes the queued requests, then stops the worker

  std::shared_ptr<Stream> Submit(GuardRequest request);

  const std::string& model_name() const;
  const std::string& model_sha256() const;  // "" in black-box mode
  const Safeguards& safeguards() const;
  // The moderator named by safeguards.moderation (POST /v1/moderations), or null.
  const Moderator* moderator() const;
  std::vector<SafeguardCounters> Counters() const;
  int64_t queued() const;
  // The standing of a user (users.h) from the store's history: not elevated without a store or
  // without a `users:` section.
  Result<UserStanding> Standing(const std::string& key_id, const std::string& user) const;

  struct Impl;

 private:
  Guard() = default;
  // What both factories share: the state, the safeguards loaded, the worker started.
  static Result<std::unique_ptr<Guard>> Start(std::unique_ptr<Impl> impl, const engine::LanguageModel* model);
  void Worker();

  std::unique_ptr<Impl> impl_;
  std::thread worker_;
};

}  // namespace warden::guard
