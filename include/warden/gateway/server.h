// `warden serve`'s HTTP face: an OpenAI-compatible API in front of a guard (SAFEGUARDS.md,
// step 1). It authenticates, applies limits, parses bodies into typed requests (base/openai_api.h)
// and turns the guard's stream events into JSON or server-sent events; every error leaves through
// one wrapper as the envelope {"error": {"message", "type", "param", "code"}}.
//
//   POST /v1/chat/completions   streamed (SSE) or not
//   POST /v1/completions        streamed or not (the prompt as is, no chat template)
//   POST /v1/moderations        OpenAI's shape; MLCommons hazards S1-S14 in "warden" (guard/moderation.h)
//   GET  /v1/models
//   GET  /metrics               Prometheus text format
//   GET  /healthz
//   /review/...                 the reviewer's pages: the audit queue, transcripts, verdicts
//                               (gateway/review.h), behind reviewer accounts, not API keys
//
// A blocked input is HTTP 400 with code "content_filter". A cut stream ends with a chunk whose
// delta is empty and finish_reason "content_filter", then the usage chunk when asked for, then
// `data: [DONE]`; a cut non-streamed answer has that finish_reason and the text released so far.
// With API keys in the store every request needs one (401 otherwise); over a key's rate, 429
// with Retry-After.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "warden/base/status.h"
#include "warden/guard/guard.h"
#include "warden/store/store.h"

namespace warden::gateway {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;              // 0: any free port (see Server::port)
  int threads = 64;             // HTTP worker threads: each open stream holds one
  double read_timeout_seconds = 30;
  int64_t review_session_seconds = 8 * 3600;  // a reviewer's login lasts this long
};

class Server {
 public:
  // `guard` and `store` must outlive the server.
  static Result<std::unique_ptr<Server>> Create(guard::Guard* guard, store::Store* store, const ServerOptions& options);
  ~Server();

  // Binds the socket (an error names the address) and serves on a background thread.
  Status Start();
  int port() const;
  // Blocks until Stop() (from another thread or a signal handler's thread).
  void Wait();
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::gateway
