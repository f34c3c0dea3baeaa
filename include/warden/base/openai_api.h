// The OpenAI API's wire format, typed: what `warden serve` (gateway) parses and answers, and what
// the evals HTTP backend sends and reads, from one definition. Torch-free and HTTP-free: JSON in,
// structs out, and back.
//
// Parsing is strict where a wrong value would silently change behaviour (types, ranges, roles,
// features warden does not implement such as tools or n > 1: an error naming the parameter) and
// lenient where OpenAI is (unknown fields are ignored).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"

namespace warden::openai {

struct Message {
  std::string role;  // "system" | "user" | "assistant" ("developer" is read as "system")
  std::string content;
};

struct ChatCompletionRequest {
  std::string model;
  std::vector<Message> messages;
  std::optional<int64_t> max_tokens;  // max_completion_tokens or max_tokens
  double temperature = 1.0;
  double top_p = 1.0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  bool logprobs = false;
  std::string user;                   // `safety_identifier`, else `user`
  nlohmann::json ToJson() const;      // what a client sends
};

struct CompletionRequest {
  std::string model;
  std::string prompt;
  int64_t max_tokens = 16;            // OpenAI's default for completions
  double temperature = 1.0;
  double top_p = 1.0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;
  std::string user;
};

// A request that cannot be served: the message, and the parameter at fault ("" when none).
struct ApiError {
  std::string message;
  std::string param;
};

// Each fills `out`, or returns the error naming the parameter (e.g. param "messages[1].role").
std::optional<ApiError> ParseChatCompletionRequest(const nlohmann::json& body, ChatCompletionRequest* out);
std::optional<ApiError> ParseCompletionRequest(const nlohmann::json& body, CompletionRequest* out);
// `input`: a string or a list of strings.
std::optional<ApiError> ParseModerationInput(const nlohmann::json& body, std::vector<std::string>* out);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  nlohmann::json ToJson() const;
};

// Response bodies. `created` is Unix seconds.
nlohmann::json ChatCompletion(const std::string& id, int64_t created, const std::string& model, const std::string& content,
                              const std::string& finish_reason, const Usage& usage);
// One streamed chunk: `content` (omitted when nullopt), `role` on the first chunk, `finish_reason`
// (null when empty). A usage chunk has no choices (usage_only).
nlohmann::json ChatCompletionChunk(const std::string& id, int64_t created, const std::string& model,
                                   const std::optional<std::string>& content, bool with_role,
                                   const std::string& finish_reason, bool include_usage_null);
nlohmann::json ChatUsageChunk(const std::string& id, int64_t created, const std::string& model, const Usage& usage);
// A text completion, whole or as one streamed chunk (the same shape; usage when given).
nlohmann::json TextCompletion(const std::string& id, int64_t created, const std::string& model, const std::string& text,
                              const std::string& finish_reason, const std::optional<Usage>& usage);

// The error envelope {"error": {"message", "type", "param", "code"}}: `type` follows OpenAI
// ("invalid_request_error", "authentication_error", "rate_limit_error", "server_error", ...).
nlohmann::json ErrorBody(const std::string& message, const std::string& type, const std::string& param,
                         const std::string& code);

// What a client reads from a chat completion (the evals HTTP backend).
struct ChatCompletionResult {
  std::string content;
  std::string finish_reason;
  std::vector<float> token_logprobs;
};
Result<ChatCompletionResult> ReadChatCompletion(const nlohmann::json& body, const std::string& source);

}  // namespace warden::openai
