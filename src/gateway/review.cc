// The reviewer's routes (review.h).
#include "gateway/review.h"

#include <sodium.h>

#include <chrono>

#include "gateway/rate_limiter.h"
#include "gateway/review_pages.h"
#include "warden/guard/audit.h"

namespace warden::gateway {
namespace {

constexpr const char* kCookie = "warden_review";

void Html(httplib::Response& res, int status, const std::string& page) {
  res.status = status;
  res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
  res.set_content(page, "text/html; charset=utf-8");
}

void SeeOther(httplib::Response& res, const std::string& where) {
  res.status = 303;
  res.set_header("Location", where);
  res.set_header("Cache-Control", "no-store");
}

// The value of cookie `name` in the request's Cookie header, or "".
std::string CookieValue(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    pos = end + 1;
    const size_t start = part.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    part = part.substr(start);
    if (part.size() > name.size() && part.compare(0, name.size(), name) == 0 && part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
  }
  return "";
}

bool SameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

struct ReviewRoutes::Impl {
  Impl(store::Store* s, guard::AuditSpec a, ReviewOptions o) : store(s), audit(std::move(a)), options(o) {}
  store::Store* store;
  guard::AuditSpec audit;
  ReviewOptions options;
  RateLimiter logins;  // login attempts per client address: guessing passwords is slow

  // The logged-in reviewer, or a redirect to the login page already sent.
  std::optional<store::ReviewSession> Session(const httplib::Request& req, httplib::Response& res) {
    Result<store::ReviewSession> s = store->Session(CookieValue(req, kCookie));
    if (s.ok()) return *s;
    if (req.method == "GET") {
      SeeOther(res, "/review/login");
    } else {
      Html(res, 401, LoginPage(s.status().message()));
    }
    return std::nullopt;
  }
  // A POST from a session's own page: its CSRF token must come back.
  bool CheckCsrf(const httplib::Request& req, httplib::Response& res, const store::ReviewSession& s) {
    if (SameSecret(req.get_param_value("csrf"), s.csrf)) return true;
    Html(res, 403, MessagePage({s.reviewer, s.csrf}, "Refused", "the form's CSRF token is missing or wrong: reload the page"));
    return false;
  }
  void Fail(httplib::Response& res, const Viewer& v, const Status& st) {
    const int http = st.code() == StatusCode::kNotFound ? 404
                     : st.code() == StatusCode::kFailedPrecondition ? 409
                     : st.code() == StatusCode::kInvalidArgument ? 400 : 500;
    Html(res, http, MessagePage(v, http == 409 ? "Already reviewed" : "Error", st.message()));
  }

  void Register(httplib::Server& http) {
    http.Get("/review/login", [this](const httplib::Request&, httplib::Response& res) { Html(res, 200, LoginPage("")); });
    http.Post("/review/login", [this](const httplib::Request& req, httplib::Response& res) {
      const double now = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
      if (int wait = logins.Take(req.remote_addr, static_cast<double>(options.logins_per_minute), now); wait > 0) {
        res.set_header("Retry-After", std::to_string(wait));
        return Html(res, 429, LoginPage("too many login attempts from this address: retry in " + std::to_string(wait) + " s"));
      }
      auto login = store->Login(req.get_param_value("name"), req.get_param_value("password"), options.session_seconds);
      if (!login.ok()) return Html(res, 401, LoginPage(login.status().message()));
      res.set_header("Set-Cookie", std::string(kCookie) + "=" + login->first + "; Path=/review; HttpOnly; SameSite=Strict; Max-Age=" +
                                       std::to_string(options.session_seconds));
      SeeOther(res, "/review");
    });
    http.Post("/review/logout", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = Session(req, res);
      if (!s || !CheckCsrf(req, res, *s)) return;
      (void)store->Logout(CookieValue(req, kCookie));
      res.set_header("Set-Cookie", std::string(kCookie) + "=; Path=/review; HttpOnly; SameSite=Strict; Max-Age=0");
      SeeOther(res, "/review/login");
    });
    http.Get("/review", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = Session(req, res);
      if (!s) return;
      const Viewer v{s->reviewer, s->csrf};
      auto open = store->Queue(/*open_only=*/true, 200);
      auto counts = store->QueueCounts();
      if (!open.ok() || !counts.ok()) return Fail(res, v, open.ok() ? counts.status() : open.status());
      std::vector<store::DecisionRecord> records;
      for (const store::AuditItem& it : *open) {
        auto r = store->Record(it.seq);
        if (!r.ok()) return Fail(res, v, r.status());
        records.push_back(std::move(r).value());
      }
      Html(res, 200, QueuePage(v, *open, records, counts->second));
    });
    http.Get(R"(/review/item/(\d{1,18}))", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = Session(req, res);
      if (!s) return;
      ShowItem(res, {s->reviewer, s->csrf}, std::stoll(req.matches[1]), 200, "");
    });
    http.Post(R"(/review/item/(\d{1,18})/verdict)", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = Session(req, res);
      if (!s || !CheckCsrf(req, res, *s)) return;
      store::Verdict v;
      v.seq = std::stoll(req.matches[1]);
      v.reviewer = s->reviewer;
      v.label = req.get_param_value("label");
      v.category = v.label == "harmful" ? req.get_param_value("category") : "";
      v.note = req.get_param_value("note");
      if (v.label == "harmful" && v.category.empty()) {
        return ShowItem(res, {s->reviewer, s->csrf}, v.seq, 400, "category: a harmful verdict needs a hazard category (S1-S14)");
      }
      const Status st = store->SubmitVerdict(&v);
      if (st.code() == StatusCode::kInvalidArgument) return ShowItem(res, {s->reviewer, s->csrf}, v.seq, 400, st.message());
      if (!st.ok()) return Fail(res, {s->reviewer, s->csrf}, st);
      SeeOther(res, "/review");
    });
    http.Get("/review/stats", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = Session(req, res);
      if (!s) return;
      auto rep = guard::BuildReviewReport(*store, audit);
      if (!rep.ok()) return Fail(res, {s->reviewer, s->csrf}, rep.status());
      Html(res, 200, StatsPage({s->reviewer, s->csrf}, *rep, audit));
    });
    http.Get("/review/export.jsonl", [this](const httplib::Request& req, httplib::Response& res) {
      auto s = Session(req, res);
      if (!s) return;
      auto jsonl = guard::LabelledJsonl(*store);
      if (!jsonl.ok()) return Fail(res, {s->reviewer, s->csrf}, jsonl.status());
      res.set_header("Cache-Control", "no-store");
      res.set_header("Content-Disposition", "attachment; filename=\"review-labels.jsonl\"");
      res.set_content(*jsonl, "application/x-ndjson");
    });
  }

  void ShowItem(httplib::Response& res, const Viewer& v, int64_t seq, int status, const std::string& message) {
    auto item = store->QueueItem(seq);
    if (!item.ok()) return Fail(res, v, item.status());
    auto record = store->Record(seq);
    if (!record.ok()) return Fail(res, v, record.status());
    auto verdict = store->VerdictOn(seq);
    if (!verdict.ok()) return Fail(res, v, verdict.status());
    Html(res, status, ItemPage(v, *item, *record, *verdict, message));
  }
};

ReviewRoutes::ReviewRoutes(store::Store* store, guard::AuditSpec audit, ReviewOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(audit), options)) {}
ReviewRoutes::~ReviewRoutes() = default;

void ReviewRoutes::Register(httplib::Server& http) {
  impl_->Register(http);
  http.Get("/review/", [](const httplib::Request&, httplib::Response& res) { SeeOther(res, "/review"); });
}

}  // namespace warden::gateway
