// The HTTP routes of `warden serve` (server.h).
#include "warden/gateway/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "gateway/metrics.h"
#include "gateway/rate_limiter.h"
#include "gateway/review.h"
#include "warden/base/clock.h"
#include "warden/base/json.h"
#include "warden/base/openai_api.h"

namespace warden::gateway {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using guard::StreamEvent;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string ErrorType(int http) {
  switch (http) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "invalid_request_error";
    case 429: return "rate_limit_error";
    default: return http < 500 ? "invalid_request_error" : "server_error";
  }
}

// The one way an error leaves the gateway.
void SendError(httplib::Response& res, int http, const std::string& message, const std::string& param = "",
               const std::string& code = "") {
  res.status = http;
  res.set_content(openai::ErrorBody(message, ErrorType(http), param, code).dump(-1, ' ', false, Json::error_handler_t::replace),
                  "application/json");
}

void SendStatus(httplib::Response& res, const Status& s) {
  if (s.code() == StatusCode::kResourceExhausted) res.set_header("Retry-After", "1");  // a full queue drains in seconds
  SendError(res, HttpStatusOf(s.code()), s.message(), "", StatusCodeName(s.code()));
}

std::string NewId(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}() ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull));
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += hex[rng() & 15];
  return id;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into Debian's
// library): a burst of new connections beyond that waits for SYN retransmits (a second or more).
// Listening again on the bound socket raises the queue to the system's maximum.
class HttpServer : public httplib::Server {
 public:
  bool RaiseBacklog() { return ::listen(svr_sock_, SOMAXCONN) == 0; }
};

}  // namespace

struct Server::Impl {
  guard::Guard* guard = nullptr;
  store::Store* store = nullptr;
  ServerOptions options;
  HttpServer http;
  Metrics metrics;
  RateLimiter limiter;
  std::unique_ptr<ReviewRoutes> review;
  std::thread thread;
  int port = 0;

  // Who is calling: the key's id (empty without keys), or an error already sent.
  bool Admit(const httplib::Request& req, httplib::Response& res, const std::string& route, std::string* key_id) {
    Result<bool> has_keys = store->HasKeys();
    if (!has_keys.ok()) {
      SendStatus(res, has_keys.status());
      return false;
    }
    double rate = static_cast<double>(guard->safeguards().limits.requests_per_minute);
    std::string who = req.remote_addr;
    if (*has_keys) {
      const std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Bearer ", 0) != 0) {
        SendError(res, 401, "no API key: send 'Authorization: Bearer <key>'", "", "invalid_api_key");
        return false;
      }
      Result<store::ApiKey> key = store->Authenticate(auth.substr(7));
      if (!key.ok()) {
        SendError(res, 401, key.status().message(), "", "invalid_api_key");
        return false;
      }
      *key_id = key->id;
      who = key->id;
      if (key->rate_per_minute > 0) rate = static_cast<double>(key->rate_per_minute);
    }
    return TakeToken(who, rate, "rate limit reached", route, res);
  }

  // One request from `who`'s bucket, or a 429 with Retry-After already sent. A shared store
  // (PostgreSQL) holds the buckets, so every gateway on it counts the same requests; otherwise
  // they live in this process.
  bool TakeToken(const std::string& who, double rate, const std::string& what, const std::string& route,
                 httplib::Response& res) {
    int wait = 0;
    if (store->shared()) {
      const double wall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      Result<int> w = store->TakeRateToken(who, rate, wall);
      if (!w.ok()) {
        SendStatus(res, w.status());
        return false;
      }
      wait = *w;
    } else {
      wait = limiter.Take(who, rate, std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count());
    }
    if (wait == 0) return true;
    res.set_header("Retry-After", std::to_string(wait));
    SendError(res, 429, what + ": retry in " + std::to_string(wait) + " s", "", "rate_limit_exceeded");
    metrics.Add("warden_rate_limited_total", Metrics::Label("route", route));
    return false;
  }

  // A user at elevated risk (guard/users.h) is held to the lower rate of the safeguards' `users:`.
  bool CheckUser(const std::string& key_id, const std::string& user, const std::string& route, httplib::Response& res) {
    const guard::UsersSpec& spec = guard->safeguards().users;
    if (!spec.enabled || spec.elevated_requests_per_minute <= 0) return true;
    Result<guard::UserStanding> standing = guard->Standing(key_id, user);
    if (!standing.ok()) {
      SendStatus(res, standing.status());
      return false;
    }
    if (!standing->elevated) return true;
    metrics.Add("warden_elevated_user_requests_total", Metrics::Label("route", route));
    return TakeToken("user:" + standing->subject, static_cast<double>(spec.elevated_requests_per_minute),
                     "rate limit for users at elevated risk reached", route, res);
  }

  bool ParseBody(const httplib::Request& req, httplib::Response& res, Json* body) {
    Result<Json> j = ParseJson(req.body, "request body");
    if (!j.ok()) {
      SendError(res, 400, j.status().message(), "", "invalid_json");
      return false;
    }
    *body = std::move(j).value();
    return true;
  }

  bool CheckModel(const std::string& model, httplib::Response& res) {
    if (model == guard->model_name()) return true;
    SendError(res, 404, "The model '" + model + "' does not exist; this server serves '" + guard->model_name() + "'",
              "model", "model_not_found");
    return false;
  }

  bool CheckLimits(int64_t messages, std::optional<int64_t> max_tokens, httplib::Response& res) {
    const guard::Limits& l = guard->safeguards().limits;
    if (messages > l.max_messages) {
      SendError(res, 400, "messages: " + std::to_string(messages) + " messages; this server accepts at most " +
                std::to_string(l.max_messages), "messages", "too_many_messages");
      return false;
    }
    if (max_tokens && *max_tokens > l.max_tokens) {
      SendError(res, 400, "max_tokens: " + std::to_string(*max_tokens) + " is more than this server's limit of " +
                std::to_string(l.max_tokens), "max_tokens", "max_tokens_too_large");
      return false;
    }
    return true;
  }

  // Serves one guarded generation: `chat` picks the response shapes.
  void Serve(const httplib::Request& req, httplib::Response& res, guard::GuardRequest greq, bool chat, bool stream,
             bool include_usage, const std::string& route) {
    const Clock::time_point arrived = Clock::now();
    const std::string id = NewId(chat ? "chatcmpl-" : "cmpl-");
    const int64_t created = UnixNow();
    const std::string model = guard->model_name();
    greq.request_id = id;
    std::shared_ptr<guard::Stream> s = guard->Submit(std::move(greq));
    // The input stage decides before anything is sent: the first event says how to answer.
    StreamEvent first = s->Next();
    if (first.kind == StreamEvent::Kind::kBlocked) {
      metrics.Add("warden_blocked_total", Metrics::Label("safeguard", first.safeguard));
      SendError(res, 400, "the request was blocked by the input safeguard '" + first.safeguard + "'", "messages",
                "content_filter");
      return;
    }
    if (first.kind == StreamEvent::Kind::kError) {
      SendStatus(res, first.error);
      return;
    }
    if (first.kind == StreamEvent::Kind::kAdmitted) metrics.Observe("warden_queue_seconds", "", first.queue_seconds);
    auto account = [this, route](const guard::Usage& u) {
      metrics.Add("warden_prompt_tokens_total", Metrics::Label("route", route), static_cast<double>(u.prompt_tokens));
      metrics.Add("warden_generated_tokens_total", Metrics::Label("route", route), static_cast<double>(u.completion_tokens));
    };
    if (!stream) {
      std::string text;
      StreamEvent e = first;
      while (!e.final()) {
        if (e.kind == StreamEvent::Kind::kDelta) text += e.text;
        e = s->Next();
      }
      if (e.kind == StreamEvent::Kind::kError) {
        SendStatus(res, e.error);
        return;
      }
      if (e.kind == StreamEvent::Kind::kBlocked) {
        SendError(res, 400, "the request was blocked by the input safeguard '" + e.safeguard + "'", "messages",
                  "content_filter");
        return;
      }
      account(e.usage);
      const openai::Usage usage{e.usage.prompt_tokens, e.usage.completion_tokens};
      const Json body = chat ? openai::ChatCompletion(id, created, model, text, e.finish_reason, usage)
                             : openai::TextCompletion(id, created, model, text, e.finish_reason, usage);
      res.set_content(Dump(body), "application/json");
      return;
    }
    // Streamed: the provider runs on this connection's thread and blocks on the guard's events.
    auto pending = std::make_shared<StreamEvent>(std::move(first));
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, s, pending, id, created, model, chat, include_usage, arrived, account](size_t, httplib::DataSink& sink) {
          bool role_sent = false;
          Clock::time_point last = arrived;
          bool any_text = false;
          auto send = [&](const Json& j) {
            const std::string line = "data: " + Dump(j) + "\n\n";
            return sink.write(line.data(), line.size());
          };
          StreamEvent e = std::move(*pending);
          for (;;) {
            if (e.kind == StreamEvent::Kind::kDelta && !e.text.empty()) {
              const Clock::time_point now = Clock::now();
              metrics.Observe(any_text ? "warden_inter_token_latency_seconds" : "warden_time_to_first_token_seconds", "",
                              Seconds(last, now));
              last = now;
              any_text = true;
              const Json chunk = chat ? openai::ChatCompletionChunk(id, created, model, e.text, !role_sent, "", include_usage)
                                      : openai::TextCompletion(id, created, model, e.text, "", std::nullopt);
              role_sent = true;
              if (!send(chunk)) {  // the client went away: the guard stops its row
                s->Abandon();
                return false;
              }
            } else if (e.kind == StreamEvent::Kind::kDone) {
              account(e.usage);
              const Json fin = chat ? openai::ChatCompletionChunk(id, created, model, std::nullopt, !role_sent,
                                                                  e.finish_reason, include_usage)
                                    : openai::TextCompletion(id, created, model, "", e.finish_reason, std::nullopt);
              if (!send(fin)) {
                s->Abandon();
                return false;
              }
              if (include_usage) {
                const openai::Usage u{e.usage.prompt_tokens, e.usage.completion_tokens};
                const Json uj = chat ? openai::ChatUsageChunk(id, created, model, u)
                                     : [&] {
                                         Json t = openai::TextCompletion(id, created, model, "", "", u);
                                         t["choices"] = Json::array();
                                         return t;
                                       }();
                if (!send(uj)) return false;
              }
              const std::string done = "data: [DONE]\n\n";
              sink.write(done.data(), done.size());
              sink.done();
              return true;
            } else if (e.kind == StreamEvent::Kind::kError || e.kind == StreamEvent::Kind::kBlocked) {
              const Status st = e.kind == StreamEvent::Kind::kError
                                    ? e.error
                                    : Status::PermissionDenied("blocked by the input safeguard '" + e.safeguard + "'");
              const int http = HttpStatusOf(st.code());
              send(openai::ErrorBody(st.message(), ErrorType(http), "", StatusCodeName(st.code())));
              const std::string done = "data: [DONE]\n\n";
              sink.write(done.data(), done.size());
              sink.done();
              return true;
            }
            e = s->Next();
          }
        });
  }

  void Routes() {
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string route = "/v1/chat/completions";
      std::string key_id;
      if (!Admit(req, res, route, &key_id)) return;
      Json body;
      if (!ParseBody(req, res, &body)) return;
      openai::ChatCompletionRequest r;
      if (auto e = openai::ParseChatCompletionRequest(body, &r)) return SendError(res, 400, e->message, e->param, "invalid_value");
      if (!CheckModel(r.model, res) || !CheckLimits(static_cast<int64_t>(r.messages.size()), r.max_tokens, res)) return;
      if (!CheckUser(key_id, r.user, route, res)) return;
      guard::GuardRequest g;
      g.key_id = key_id;
      g.user = r.user;
      for (const openai::Message& m : r.messages) g.messages.push_back({m.role, m.content});
      g.max_tokens = r.max_tokens.value_or(0);
      g.temperature = r.temperature;
      g.top_p = r.top_p;
      g.seed = r.seed.value_or(0);
      g.stop = r.stop;
      Serve(req, res, std::move(g), true, r.stream, r.include_usage, route);
    });
    http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string route = "/v1/completions";
      std::string key_id;
      if (!Admit(req, res, route, &key_id)) return;
      Json body;
      if (!ParseBody(req, res, &body)) return;
      openai::CompletionRequest r;
      if (auto e = openai::ParseCompletionRequest(body, &r)) return SendError(res, 400, e->message, e->param, "invalid_value");
      if (!CheckModel(r.model, res) || !CheckLimits(1, r.max_tokens, res)) return;
      if (!CheckUser(key_id, r.user, route, res)) return;
      guard::GuardRequest g;
      g.key_id = key_id;
      g.user = r.user;
      g.raw = true;
      g.prompt = r.prompt;
      g.max_tokens = r.max_tokens;
      g.temperature = r.temperature;
      g.top_p = r.top_p;
      g.seed = r.seed.value_or(0);
      g.stop = r.stop;
      Serve(req, res, std::move(g), false, r.stream, r.include_usage, route);
    });
    http.Post("/v1/moderations", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string route = "/v1/moderations";
      std::string key_id;
      if (!Admit(req, res, route, &key_id)) return;
      const guard::Moderator* moderator = guard->moderator();
      if (moderator == nullptr) {
        return SendError(res, 404, "this server has no moderation classifier (safeguards: moderation)", "", "not_found");
      }
      Json body;
      if (!ParseBody(req, res, &body)) return;
      std::vector<std::string> inputs;
      if (auto e = openai::ParseModerationInput(body, &inputs)) return SendError(res, 400, e->message, e->param, "invalid_value");
      if (static_cast<int64_t>(inputs.size()) > guard->safeguards().limits.max_messages) {
        return SendError(res, 400, "more inputs than limits.max_messages (" + std::to_string(guard->safeguards().limits.max_messages) + ")",
                         "input", "invalid_value");
      }
      Json results = Json::array();
      for (const std::string& text : inputs) results.push_back(guard::ModerationResultJson(moderator->Classify(text)));
      const Json out = {{"id", NewId("modr-")}, {"model", "warden-moderation-" + moderator->sha256().substr(0, 12)},
                        {"results", results}};
      res.set_content(Dump(out), "application/json");
    });
    http.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
      std::string key_id;
      if (!Admit(req, res, "/v1/models", &key_id)) return;
      const Json body = {{"object", "list"},
                         {"data", {{{"id", guard->model_name()}, {"object", "model"}, {"created", 0}, {"owned_by", "warden"}}}}};
      res.set_content(Dump(body), "application/json");
    });
    http.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::string key_id;
      if (!Admit(req, res, "/v1/models/{model}", &key_id)) return;
      const std::string id = req.matches[1];
      if (!CheckModel(id, res)) return;
      res.set_content(Dump({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "warden"}}), "application/json");
    });
    http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      const Json body = {{"status", "ok"},
                         {"model", guard->model_name()},
                         {"model_sha256", guard->model_sha256()},
                         {"safeguards_sha256", guard->safeguards().sha256},
                         {"queued", guard->queued()}};
      res.set_content(Dump(body), "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::string extra;
      extra += "# HELP warden_safeguard_decisions_total Decisions of each safeguard since start-up.\n";
      extra += "# TYPE warden_safeguard_decisions_total counter\n";
      std::string seconds = "# HELP warden_safeguard_seconds_total Time each safeguard spent scoring.\n"
                            "# TYPE warden_safeguard_seconds_total counter\n";
      std::string calls = "# HELP warden_safeguard_calls_total Scorings by each safeguard (a batch step for probes).\n"
                          "# TYPE warden_safeguard_calls_total counter\n";
      for (const guard::SafeguardCounters& c : guard->Counters()) {
        const std::string l = Metrics::Label("stage", c.stage) + "," + Metrics::Label("safeguard", c.name) + "," +
                              Metrics::Label("kind", c.kind);
        extra += "warden_safeguard_decisions_total{" + l + ",decision=\"pass\"} " + std::to_string(c.passed) + "\n";
        extra += "warden_safeguard_decisions_total{" + l + ",decision=\"fire\"} " + std::to_string(c.fired) + "\n";
        extra += "warden_safeguard_decisions_total{" + l + ",decision=\"error\"} " + std::to_string(c.errors) + "\n";
        seconds += "warden_safeguard_seconds_total{" + l + "} " + std::to_string(c.seconds) + "\n";
        calls += "warden_safeguard_calls_total{" + l + "} " + std::to_string(c.calls) + "\n";
      }
      extra += seconds + calls;
      extra += "# HELP warden_queue_length Requests waiting for the next batch.\n# TYPE warden_queue_length gauge\n";
      extra += "warden_queue_length " + std::to_string(guard->queued()) + "\n";
      res.set_content(metrics.Render(extra), "text/plain; version=0.0.4");
    });
    http.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.path == "/metrics") return;
      // Routes, not paths, label the series: a client choosing paths must not choose how many
      // series there are.
      std::string route = "other";
      for (const char* known : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/healthz"}) {
        if (req.path == known) route = known;
      }
      if (req.path.rfind("/v1/models/", 0) == 0) route = "/v1/models/{model}";
      if (req.path == "/review" || req.path.rfind("/review/", 0) == 0) route = "/review";
      metrics.Add("warden_requests_total", Metrics::Label("route", route) + "," + Metrics::Label("code", std::to_string(res.status)));
    });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 404) return SendError(res, 404, "no route " + req.method + " " + req.path, "", "not_found");
      if (res.status == 413) return SendError(res, 413, "the request body is larger than this server accepts", "", "body_too_large");
      SendError(res, res.status, "HTTP " + std::to_string(res.status));
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      SendError(res, 500, "internal error: " + what, "", "internal");
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  Stop();
  Wait();
}

Result<std::unique_ptr<Server>> Server::Create(guard::Guard* guard, store::Store* store, const ServerOptions& options) {
  if (guard == nullptr || store == nullptr) return Status::InvalidArgument("the server needs a guard and a store");
  auto impl = std::make_unique<Impl>();
  impl->guard = guard;
  impl->store = store;
  impl->options = options;
  const int threads = std::max(2, options.threads);
  impl->http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  impl->http.set_tcp_nodelay(true);  // stream chunks leave as they are written, not after Nagle's wait
  impl->http.set_payload_max_length(static_cast<size_t>(guard->safeguards().limits.max_body_bytes));
  const auto rt = static_cast<time_t>(options.read_timeout_seconds);
  const auto rt_us = static_cast<time_t>((options.read_timeout_seconds - static_cast<double>(rt)) * 1e6);
  impl->http.set_read_timeout(rt, rt_us);
  impl->http.set_write_timeout(rt, rt_us);
  impl->metrics.Describe("warden_requests_total", "counter", "HTTP requests by route and status code.");
  impl->metrics.Describe("warden_prompt_tokens_total", "counter", "Prompt tokens of served requests.");
  impl->metrics.Describe("warden_generated_tokens_total", "counter", "Tokens generated for served requests.");
  impl->metrics.Describe("warden_time_to_first_token_seconds", "histogram", "From request arrival to the first streamed text.");
  impl->metrics.Describe("warden_inter_token_latency_seconds", "histogram", "Between consecutive streamed chunks.");
  impl->metrics.Describe("warden_queue_seconds", "histogram", "From admission to the start of the request's batch.");
  impl->metrics.Describe("warden_blocked_total", "counter", "Requests blocked at input, by safeguard.");
  impl->metrics.Describe("warden_rate_limited_total", "counter", "Requests refused with 429.");
  impl->metrics.Describe("warden_elevated_user_requests_total", "counter",
                         "Requests from users at elevated risk across their requests (guard/users.h).");
  impl->Routes();
  ReviewOptions review;
  review.session_seconds = options.review_session_seconds;
  impl->review = std::make_unique<ReviewRoutes>(store, guard->safeguards().audit, review);
  impl->review->Register(impl->http);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Status Server::Start() {
  Impl& im = *impl_;
  if (im.options.port == 0) {
    im.port = im.http.bind_to_any_port(im.options.host);
    if (im.port <= 0) return Status::Unavailable("cannot bind " + im.options.host + " to any port");
  } else {
    if (!im.http.bind_to_port(im.options.host, im.options.port)) {
      return Status::Unavailable("cannot bind " + im.options.host + ":" + std::to_string(im.options.port) +
                                 " (in use, or not an address of this machine)");
    }
    im.port = im.options.port;
  }
  if (!im.http.RaiseBacklog()) return Status::Unavailable("cannot listen on " + im.options.host + ":" + std::to_string(im.port));
  im.thread = std::thread([&im] { im.http.listen_after_bind(); });
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

void Server::Wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Server::Stop() { impl_->http.stop(); }

}  // namespace warden::gateway
