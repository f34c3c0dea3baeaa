// Internal to gateway: the reviewer's web pages at /review (server.h).
//
//   GET  /review/login, POST /review/login     a reviewer's name and password -> a session cookie
//   GET  /review                               the open audit queue, highest risk first
//   GET  /review/item/{seq}                    the transcript, per-token scores on the text, the
//                                              safeguards' reasons, the verdict form
//   POST /review/item/{seq}/verdict            harmful + category / benign / unsure, with a note
//   GET  /review/stats                         each stage's precision; the sampled estimate
//   GET  /review/export.jsonl                  the verdicts as labelled JSONL (probe train)
//   POST /review/logout
//
// Reviewer accounts are separate from API keys (`warden serve reviewers add`); login attempts
// are rate-limited per client address. The session
// cookie is HttpOnly, SameSite=Strict, scoped to /review, and expires; every form carries the
// session's CSRF token, compared in constant time. Pages are served with a Content-Security-
// Policy that allows no script, no framing and forms to this origin only.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <memory>

#include "warden/guard/safeguards.h"
#include "warden/store/store.h"

namespace warden::gateway {

struct ReviewOptions {
  int64_t session_seconds = 8 * 3600;
  int64_t logins_per_minute = 10;  // login attempts per client address (429 beyond)
};

class ReviewRoutes {
 public:
  // `store` must outlive this object.
  ReviewRoutes(store::Store* store, guard::AuditSpec audit, ReviewOptions options);
  ~ReviewRoutes();
  // Adds the routes to `http`; this object must outlive its serving (the server owns both).
  void Register(httplib::Server& http);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::gateway
