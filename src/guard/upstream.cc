// Black-box mode (guard.h, UpstreamOptions): one request forwarded to an OpenAI-compatible
// server as a stream, its chunks passed through the output text safeguards and holdback.
#include <httplib.h>

#include "guard/internal.h"
#include "warden/base/openai_api.h"

namespace warden::guard {
namespace {

using Json = nlohmann::json;

struct Target {
  std::string host;    // scheme://host:port, what httplib::Client takes
  std::string prefix;  // path before /v1, without a trailing slash
};

Target Split(const std::string& base) {
  const size_t slash = base.find('/', base.find("://") + 3);
  Target t{base.substr(0, slash), slash == std::string::npos ? "" : base.substr(slash)};
  while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
  return t;
}

}  // namespace

void Guard::Impl::RunUpstream(Job& job) {
  const UpstreamOptions& up = *upstream;
  Row r;
  r.job = &job;
  r.input = job.input_text;
  r.release = std::make_unique<ReleaseBuffer>(safeguards.holdback, std::vector<std::string>{});  // the upstream applies stops
  openai::ChatCompletionRequest req;
  req.model = up.model;
  for (const engine::ChatMessage& m : job.request.messages) req.messages.push_back({m.role, m.content});
  req.max_tokens = job.limit;
  req.temperature = job.request.temperature;
  req.top_p = job.request.top_p;
  req.seed = job.request.seed;
  req.stop = job.request.stop;
  req.stream = true;
  req.include_usage = true;
  req.user = job.request.user;

  StreamEvent admitted;
  admitted.kind = StreamEvent::Kind::kAdmitted;
  admitted.queue_seconds = std::chrono::duration<double>(Clock::now() - job.submitted).count();
  job.out->Push(std::move(admitted));

  const Target t = Split(up.base_url);
  httplib::Client client(t.host);
  const auto secs = static_cast<time_t>(up.timeout_seconds);
  client.set_connection_timeout(secs, 0);
  client.set_read_timeout(secs, 0);
  if (!up.api_key.empty()) client.set_bearer_token_auth(up.api_key);
  std::string pending, upstream_finish, protocol_error;
  int64_t chunks = 0;
  httplib::Request hreq;
  hreq.method = "POST";
  hreq.path = t.prefix + "/v1/chat/completions";
  hreq.body = req.ToJson().dump(-1, ' ', false, Json::error_handler_t::replace);
  hreq.set_header("Content-Type", "application/json");
  hreq.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (job.out->abandoned()) {
      r.finish = "abandoned";
      return false;
    }
    if (TimedOut(r, chunks)) return false;
    pending.append(data, n);
    size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      std::string event = pending.substr(0, end);
      pending.erase(0, end + 2);
      if (event.rfind("data: ", 0) != 0) continue;
      event.erase(0, 6);
      if (event == "[DONE]") return true;
      Json j = Json::parse(event, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        protocol_error = "the upstream sent a chunk that is not JSON";
        return false;
      }
      if (j.contains("error")) {
        protocol_error = "the upstream failed mid-stream: " + j["error"].value("message", j["error"].dump());
        return false;
      }
      if (j.contains("usage") && j["usage"].is_object()) {
        r.usage.prompt_tokens = j["usage"].value("prompt_tokens", int64_t{0});
        r.usage.completion_tokens = j["usage"].value("completion_tokens", int64_t{0});
      }
      if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) continue;
      const Json& c = j["choices"][0];
      if (c.contains("finish_reason") && c["finish_reason"].is_string()) upstream_finish = c["finish_reason"];
      if (!c.contains("delta") || !c["delta"].is_object() || !c["delta"].contains("content") ||
          !c["delta"]["content"].is_string()) {
        continue;
      }
      const std::string text = c["delta"]["content"];
      if (text.empty()) continue;
      const int64_t index = chunks++;
      r.raw += text;
      r.release->Add(text);
      if (CheckOutputText(r, index)) return false;  // cut: stop reading the upstream
      r.release->Scored(index + 1);
      r.PushRelease();
    }
    return true;
  };
  httplib::Result res = client.send(hreq);
  if (!r.decided() && r.finish != "abandoned") {
    Status failure;
    if (!protocol_error.empty()) {
      failure = Status::Unavailable(protocol_error);
    } else if (!res) {
      failure = Status::Unavailable("upstream " + up.base_url + ": " + httplib::to_string(res.error()));
    } else if (res->status != 200) {
      failure = Status::Unavailable("upstream " + up.base_url + " answered HTTP " + std::to_string(res->status));
    }
    if (!failure.ok()) {  // nothing more is released; the failure is recorded and reported
      r.Decide("error", "upstream", "", static_cast<int64_t>(chunks));
      store::DecisionRecord rec;
      rec.action = "error";
      rec.stage = "upstream";
      rec.released_tokens = r.release->released_tokens();
      rec.response = r.release->released_text();
      rec.scores_json = Json({{"error", failure.ToString()}}).dump();
      Status st = Record(job, rec);
      StreamEvent e;
      e.kind = StreamEvent::Kind::kError;
      e.error = st.ok() ? failure : st;
      job.out->Push(std::move(e));
      return;
    }
    r.finish = upstream_finish == "length" ? "length" : "stop";
    r.release->Finish(chunks);
  }
  Finish(r);
}

}  // namespace warden::guard
