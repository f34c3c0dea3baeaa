// The OpenAI API's wire format (openai_api.h).
#include "warden/base/openai_api.h"

#include <cmath>

namespace warden::openai {
namespace {

using Json = nlohmann::json;

std::optional<ApiError> Err(const std::string& param, const std::string& message) {
  return ApiError{param + ": " + message, param};
}

std::optional<ApiError> Number(const Json& b, const char* key, double lo, double hi, double* out) {
  if (!b.contains(key) || b[key].is_null()) return std::nullopt;
  if (!b[key].is_number()) return Err(key, "expected a number");
  const double v = b[key].get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    return Err(key, "must be between " + Json(lo).dump() + " and " + Json(hi).dump());
  }
  *out = v;
  return std::nullopt;
}

std::optional<ApiError> PositiveInt(const Json& b, const char* key, std::optional<int64_t>* out) {
  if (!b.contains(key) || b[key].is_null()) return std::nullopt;
  if (!b[key].is_number_integer()) return Err(key, "expected an integer");
  // nlohmann reads a non-negative integer as unsigned: bound it before converting.
  if (b[key].is_number_unsigned() && b[key].get<uint64_t>() > (1ull << 31)) return Err(key, "is too large");
  if (b[key].get<int64_t>() < 1) return Err(key, "must be a positive integer");
  *out = b[key].get<int64_t>();
  return std::nullopt;
}

std::optional<ApiError> Bool(const Json& b, const char* key, bool* out) {
  if (!b.contains(key) || b[key].is_null()) return std::nullopt;
  if (!b[key].is_boolean()) return Err(key, "expected true or false");
  *out = b[key].get<bool>();
  return std::nullopt;
}

std::optional<ApiError> String(const Json& b, const char* key, std::string* out) {
  if (!b.contains(key) || b[key].is_null()) return std::nullopt;
  if (!b[key].is_string()) return Err(key, "expected a string");
  *out = b[key].get<std::string>();
  return std::nullopt;
}

std::optional<ApiError> Seed(const Json& b, std::optional<uint64_t>* out) {
  if (!b.contains("seed") || b["seed"].is_null()) return std::nullopt;
  if (!b["seed"].is_number_integer()) return Err("seed", "expected an integer");
  *out = b["seed"].is_number_unsigned() ? b["seed"].get<uint64_t>() : static_cast<uint64_t>(b["seed"].get<int64_t>());
  return std::nullopt;
}

std::optional<ApiError> Stop(const Json& b, std::vector<std::string>* out) {
  if (!b.contains("stop") || b["stop"].is_null()) return std::nullopt;
  const Json& s = b["stop"];
  if (s.is_string()) {
    if (!s.get<std::string>().empty()) out->push_back(s.get<std::string>());
    return std::nullopt;
  }
  if (!s.is_array() || s.size() > 4) return Err("stop", "expected a string or a list of at most 4 strings");
  for (size_t i = 0; i < s.size(); ++i) {
    if (!s[i].is_string() || s[i].get<std::string>().empty()) {
      return Err("stop[" + std::to_string(i) + "]", "expected a non-empty string");
    }
    out->push_back(s[i].get<std::string>());
  }
  return std::nullopt;
}

std::optional<ApiError> StreamOptions(const Json& b, bool stream, bool* include_usage) {
  if (!b.contains("stream_options") || b["stream_options"].is_null()) return std::nullopt;
  if (!stream) return Err("stream_options", "only allowed when stream is true");
  if (!b["stream_options"].is_object()) return Err("stream_options", "expected an object");
  if (auto e = Bool(b["stream_options"], "include_usage", include_usage)) {
    return Err("stream_options.include_usage", "expected true or false");
  }
  return std::nullopt;
}

std::optional<ApiError> Unsupported(const Json& b) {
  for (const char* key : {"tools", "functions", "tool_choice", "function_call", "audio", "prediction"}) {
    if (b.contains(key) && !b[key].is_null()) {
      return Err(key, "not supported by warden serve (text generation only)");
    }
  }
  if (b.contains("n") && !b["n"].is_null() && b["n"] != 1) return Err("n", "only n = 1 is supported");
  if (b.contains("response_format") && b["response_format"].is_object() &&
      b["response_format"].value("type", "text") != "text") {
    return Err("response_format", "only {\"type\": \"text\"} is supported");
  }
  return std::nullopt;
}

std::optional<ApiError> Content(const Json& c, const std::string& where, std::string* out) {
  if (c.is_string()) {
    *out = c.get<std::string>();
    return std::nullopt;
  }
  if (!c.is_array()) return Err(where, "expected a string or a list of text parts");
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string part = where + "[" + std::to_string(i) + "]";
    if (!c[i].is_object() || !c[i].contains("type") || !c[i]["type"].is_string()) return Err(part, "expected a content part");
    if (c[i]["type"] != "text") return Err(part + ".type", "'" + c[i]["type"].get<std::string>() + "' is not supported (text only)");
    if (!c[i].contains("text") || !c[i]["text"].is_string()) return Err(part + ".text", "expected a string");
    *out += c[i]["text"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<ApiError> Model(const Json& b, std::string* out) {
  if (!b.contains("model")) return Err("model", "missing");
  if (auto e = String(b, "model", out)) return e;
  if (out->empty()) return Err("model", "empty");
  return std::nullopt;
}

// The fields chat and text completions share: sampling, stop strings, streaming.
template <class Request>
std::optional<ApiError> Sampling(const Json& b, Request* r) {
  if (auto e = Number(b, "temperature", 0, 2, &r->temperature)) return e;
  if (auto e = Number(b, "top_p", 0, 1, &r->top_p)) return e;
  if (r->top_p <= 0) return Err("top_p", "must be greater than 0");
  if (auto e = Seed(b, &r->seed)) return e;
  if (auto e = Stop(b, &r->stop)) return e;
  if (auto e = Bool(b, "stream", &r->stream)) return e;
  return StreamOptions(b, r->stream, &r->include_usage);
}

}  // namespace

std::optional<ApiError> ParseChatCompletionRequest(const Json& b, ChatCompletionRequest* r) {
  if (!b.is_object()) return ApiError{"the request body must be a JSON object", ""};
  if (auto e = Model(b, &r->model)) return e;
  if (auto e = Unsupported(b)) return e;
  if (!b.contains("messages")) return Err("messages", "missing");
  const Json& ms = b["messages"];
  if (!ms.is_array() || ms.empty()) return Err("messages", "expected a non-empty list");
  for (size_t i = 0; i < ms.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!ms[i].is_object()) return Err(where, "expected an object");
    Message m;
    if (!ms[i].contains("role") || !ms[i]["role"].is_string()) return Err(where + ".role", "expected a string");
    m.role = ms[i]["role"].get<std::string>();
    if (m.role == "developer") m.role = "system";
    if (m.role != "system" && m.role != "user" && m.role != "assistant") {
      return Err(where + ".role", "'" + m.role + "' is not supported (system, developer, user, assistant)");
    }
    if (!ms[i].contains("content") || ms[i]["content"].is_null()) return Err(where + ".content", "missing");
    if (auto e = Content(ms[i]["content"], where + ".content", &m.content)) return e;
    r->messages.push_back(std::move(m));
  }
  if (auto e = PositiveInt(b, "max_tokens", &r->max_tokens)) return e;
  if (auto e = PositiveInt(b, "max_completion_tokens", &r->max_tokens)) return e;
  if (auto e = Sampling(b, r)) return e;
  if (auto e = Bool(b, "logprobs", &r->logprobs)) return e;
  if (r->logprobs) return Err("logprobs", "not supported by warden serve yet");
  if (auto e = String(b, "user", &r->user)) return e;
  std::string sid;
  if (auto e = String(b, "safety_identifier", &sid)) return e;
  if (!sid.empty()) r->user = sid;
  return std::nullopt;
}

std::optional<ApiError> ParseCompletionRequest(const Json& b, CompletionRequest* r) {
  if (!b.is_object()) return ApiError{"the request body must be a JSON object", ""};
  if (auto e = Model(b, &r->model)) return e;
  if (auto e = Unsupported(b)) return e;
  if (!b.contains("prompt")) return Err("prompt", "missing");
  const Json& p = b["prompt"];
  if (p.is_string()) {
    r->prompt = p.get<std::string>();
  } else if (p.is_array() && p.size() == 1 && p[0].is_string()) {
    r->prompt = p[0].get<std::string>();
  } else {
    return Err("prompt", "expected a string (or a list of one string)");
  }
  if (r->prompt.empty()) return Err("prompt", "empty");
  std::optional<int64_t> max_tokens;
  if (auto e = PositiveInt(b, "max_tokens", &max_tokens)) return e;
  if (max_tokens) r->max_tokens = *max_tokens;
  if (auto e = Sampling(b, r)) return e;
  if (b.contains("echo") && b["echo"] == true) return Err("echo", "not supported");
  if (b.contains("logprobs") && !b["logprobs"].is_null() && b["logprobs"] != 0) return Err("logprobs", "not supported yet");
  if (auto e = String(b, "user", &r->user)) return e;
  return std::nullopt;
}

std::optional<ApiError> ParseModerationInput(const Json& b, std::vector<std::string>* out) {
  if (!b.is_object()) return ApiError{"the request body must be a JSON object", ""};
  if (!b.contains("input")) return Err("input", "missing");
  const Json& in = b["input"];
  if (in.is_string()) {
    out->push_back(in.get<std::string>());
    return std::nullopt;
  }
  if (!in.is_array() || in.empty()) return Err("input", "expected a string or a non-empty list of strings");
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i].is_string()) return Err("input[" + std::to_string(i) + "]", "expected a string (text only)");
    out->push_back(in[i].get<std::string>());
  }
  return std::nullopt;
}

Json ChatCompletionRequest::ToJson() const {
  Json ms = Json::array();
  for (const Message& m : messages) ms.push_back({{"role", m.role}, {"content", m.content}});
  Json j = {{"model", model}, {"messages", ms}, {"temperature", temperature}, {"stream", stream}};
  if (max_tokens) j["max_tokens"] = *max_tokens;
  if (top_p != 1.0) j["top_p"] = top_p;
  if (seed) j["seed"] = *seed;
  if (!stop.empty()) j["stop"] = stop;
  if (stream && include_usage) j["stream_options"] = {{"include_usage", true}};
  if (logprobs) j["logprobs"] = true;
  if (!user.empty()) j["user"] = user;
  return j;
}

Json Usage::ToJson() const {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

namespace {
Json FinishReason(const std::string& f) { return f.empty() ? Json(nullptr) : Json(f); }
}  // namespace

Json ChatCompletion(const std::string& id, int64_t created, const std::string& model, const std::string& content,
                    const std::string& finish_reason, const Usage& usage) {
  return {{"id", id},
          {"object", "chat.completion"},
          {"created", created},
          {"model", model},
          {"choices",
           {{{"index", 0},
             {"message", {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}}},
             {"logprobs", nullptr},
             {"finish_reason", FinishReason(finish_reason)}}}},
          {"usage", usage.ToJson()}};
}

Json ChatCompletionChunk(const std::string& id, int64_t created, const std::string& model,
                         const std::optional<std::string>& content, bool with_role, const std::string& finish_reason,
                         bool include_usage_null) {
  Json delta = Json::object();
  if (with_role) delta["role"] = "assistant";
  if (content) delta["content"] = *content;
  Json j = {{"id", id},
            {"object", "chat.completion.chunk"},
            {"created", created},
            {"model", model},
            {"choices", {{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", FinishReason(finish_reason)}}}}};
  if (include_usage_null) j["usage"] = nullptr;
  return j;
}

Json ChatUsageChunk(const std::string& id, int64_t created, const std::string& model, const Usage& usage) {
  return {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
          {"choices", Json::array()}, {"usage", usage.ToJson()}};
}

Json TextCompletion(const std::string& id, int64_t created, const std::string& model, const std::string& text,
                    const std::string& finish_reason, const std::optional<Usage>& usage) {
  Json j = {{"id", id},
            {"object", "text_completion"},
            {"created", created},
            {"model", model},
            {"choices", {{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", FinishReason(finish_reason)}}}}};
  if (usage) j["usage"] = usage->ToJson();
  return j;
}

Json ErrorBody(const std::string& message, const std::string& type, const std::string& param, const std::string& code) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? Json(nullptr) : Json(param)},
            {"code", code.empty() ? Json(nullptr) : Json(code)}}}};
}

Result<ChatCompletionResult> ReadChatCompletion(const Json& r, const std::string& source) {
  if (!r.is_object() || !r.contains("choices") || !r["choices"].is_array() || r["choices"].empty() ||
      !r["choices"][0].is_object() || !r["choices"][0].contains("message") || !r["choices"][0]["message"].is_object() ||
      !r["choices"][0]["message"].contains("content") || !r["choices"][0]["message"]["content"].is_string()) {
    return Status::Corrupt(source + " has no choices[0].message.content string");
  }
  const Json& choice = r["choices"][0];
  ChatCompletionResult out;
  out.content = choice["message"]["content"].get<std::string>();
  if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
    out.finish_reason = choice["finish_reason"].get<std::string>();
  }
  if (choice.contains("logprobs") && choice["logprobs"].is_object() && choice["logprobs"].contains("content") &&
      choice["logprobs"]["content"].is_array()) {
    for (const Json& t : choice["logprobs"]["content"]) {
      if (t.is_object() && t.contains("logprob") && t["logprob"].is_number()) out.token_logprobs.push_back(t["logprob"].get<float>());
    }
  }
  return out;
}

}  // namespace warden::openai
