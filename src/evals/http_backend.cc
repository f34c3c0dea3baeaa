// HttpBackend: evaluations against an OpenAI-compatible chat-completions server.
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "warden/base/json.h"
#include "warden/base/openai_api.h"
#include "warden/evals/backend.h"

namespace warden::evals {
namespace {

using Json = nlohmann::json;

struct Url {
  std::string scheme_host_port;  // what httplib::Client takes
  std::string path_prefix;       // "" or "/something", without a trailing slash
};

Result<Url> ParseBaseUrl(const std::string& base) {
  const size_t scheme = base.find("://");
  if (scheme == std::string::npos || (base.compare(0, scheme, "http") != 0 && base.compare(0, scheme, "https") != 0)) {
    return Status::InvalidArgument("base URL '" + base + "': expected http://host[:port][/prefix]");
  }
  const size_t slash = base.find('/', scheme + 3);
  Url u;
  u.scheme_host_port = base.substr(0, slash);
  if (slash != std::string::npos) u.path_prefix = base.substr(slash);
  while (!u.path_prefix.empty() && u.path_prefix.back() == '/') u.path_prefix.pop_back();
  if (u.scheme_host_port.size() <= scheme + 3) return Status::InvalidArgument("base URL '" + base + "': no host");
  return u;
}

class HttpBackend : public ModelBackend {
 public:
  HttpBackend(const HttpBackendOptions& o, Url url) : opt_(o), url_(std::move(url)), client_(url_.scheme_host_port) {
    const auto secs = static_cast<time_t>(o.timeout_seconds);
    const auto usecs = static_cast<time_t>((o.timeout_seconds - static_cast<double>(secs)) * 1e6);
    client_.set_connection_timeout(secs, usecs);
    client_.set_read_timeout(secs, usecs);
    client_.set_write_timeout(secs, usecs);
    client_.set_keep_alive(true);
    if (!o.api_key.empty()) client_.set_bearer_token_auth(o.api_key);
  }

  ModelIdentity Identity() const override {
    return {"http", opt_.model, "", opt_.base_url};
  }

  Result<std::vector<Completion>> Generate(const std::vector<Conversation>& conversations,
                                           const GenerateOptions& options) override {
    std::vector<Completion> out;
    for (const Conversation& c : conversations) out.push_back(One(c, options));
    return out;
  }

  Result<std::vector<std::vector<double>>> ScoreReplies(const std::vector<ReplyScoreRequest>&) override {
    return Status::Unsupported(
        "an OpenAI chat-completions server cannot score given replies (black-box); use a generation solver, "
        "or load the weights in-process");
  }

 private:
  Completion One(const Conversation& c, const GenerateOptions& o) {
    openai::ChatCompletionRequest req;
    req.model = opt_.model;
    for (const engine::ChatMessage& m : c) req.messages.push_back({m.role, m.content});
    req.max_tokens = o.max_tokens;
    req.temperature = o.temperature;
    req.seed = o.seed;
    req.logprobs = opt_.request_logprobs && logprobs_ok_;
    const Json body = req.ToJson();
    Completion out;
    auto res = client_.Post(url_.path_prefix + "/v1/chat/completions", body.dump(), "application/json");
    if (!res) {
      out.error = "HTTP request to " + opt_.base_url + " failed: " + httplib::to_string(res.error());
      return out;
    }
    if (res->status == 400 && body.contains("logprobs") && logprobs_ok_) {
      logprobs_ok_ = false;  // a server without log-prob support: ask again without
      return One(c, o);
    }
    if (res->status != 200) {
      out.error = "HTTP " + std::to_string(res->status) + " from " + opt_.base_url + ": " + res->body.substr(0, 200);
      return out;
    }
    auto j = ParseJson(res->body, "response from " + opt_.base_url);
    if (!j.ok()) {
      out.error = j.status().message();
      return out;
    }
    auto read = openai::ReadChatCompletion(*j, "response from " + opt_.base_url);
    if (!read.ok()) {
      out.error = read.status().message();
      return out;
    }
    out.text = std::move(read->content);
    out.finish_reason = std::move(read->finish_reason);
    out.token_logprobs = std::move(read->token_logprobs);
    return out;
  }

  HttpBackendOptions opt_;
  Url url_;
  httplib::Client client_;
  bool logprobs_ok_ = true;
};

}  // namespace

Result<std::unique_ptr<ModelBackend>> MakeHttpBackend(const HttpBackendOptions& options) {
  WARDEN_ASSIGN_OR_RETURN(Url url, ParseBaseUrl(options.base_url));
  if (options.timeout_seconds <= 0) return Status::InvalidArgument("HTTP backend: timeout must be positive");
  return std::unique_ptr<ModelBackend>(std::make_unique<HttpBackend>(options, std::move(url)));
}

}  // namespace warden::evals
