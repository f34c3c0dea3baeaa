// Training examples from text and chats (warden/engine/train_data.h).
#include "warden/engine/train_data.h"

#include <nlohmann/json.hpp>

#include "warden/base/file.h"
#include "warden/base/json.h"

namespace warden::engine {
namespace {

Result<TrainExample> ExampleFromJson(const nlohmann::json& j, const std::string& where, ChatFormat format,
                                     const Tokenizer& tok) {
  if (!j.is_object()) return Status::InvalidArgument(where + ": expected a JSON object");
  if (auto text = j.find("text"); text != j.end()) {
    if (!text->is_string()) return Status::InvalidArgument(where + ": \"text\" is not a string");
    return TextTrainExample(text->get<std::string>(), tok);
  }
  auto messages = j.find("messages");
  if (messages == j.end() || !messages->is_array()) {
    return Status::InvalidArgument(where + ": needs \"text\" (a string) or \"messages\" (an array)");
  }
  std::vector<ChatMessage> msgs;
  for (size_t i = 0; i < messages->size(); ++i) {
    const nlohmann::json& m = (*messages)[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string()) {
      return Status::InvalidArgument(where + ": messages[" + std::to_string(i) +
                                     "] needs string \"role\" and \"content\"");
    }
    msgs.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  }
  Result<TrainExample> ex = ChatTrainExample(msgs, format, tok);
  if (!ex.ok()) return ex.status().WithContext(where);
  return ex;
}

}  // namespace

TrainExample TextTrainExample(std::string_view text, const Tokenizer& tok) {
  TrainExample ex{tok.Encode(text, {/*add_bos=*/true}), {}};
  if (tok.eos_id() >= 0) ex.tokens.push_back(tok.eos_id());
  return ex;
}

Result<TrainExample> ChatTrainExample(const std::vector<ChatMessage>& messages, ChatFormat format,
                                      const Tokenizer& tok) {
  TrainExample ex;
  WARDEN_ASSIGN_OR_RETURN(ex.tokens, EncodeChat(format, messages, false, tok));
  ex.loss_mask.assign(ex.tokens.size(), 0);
  auto common = [&](const std::vector<int32_t>& ids) {
    size_t n = 0;
    while (n < ids.size() && n < ex.tokens.size() && ids[n] == ex.tokens[n]) ++n;
    return n;
  };
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role != "assistant") continue;
    std::vector<ChatMessage> before(messages.begin(), messages.begin() + i);
    std::vector<ChatMessage> upto(messages.begin(), messages.begin() + i + 1);
    WARDEN_ASSIGN_OR_RETURN(auto prompt, EncodeChat(format, before, true, tok));
    WARDEN_ASSIGN_OR_RETURN(auto with, EncodeChat(format, upto, false, tok));
    for (size_t t = common(prompt); t < common(with); ++t) ex.loss_mask[t] = 1;
  }
  return ex;
}

Result<std::vector<TrainExample>> ReadTrainJsonl(const std::string& path, ChatFormat format,
                                                 const Tokenizer& tok) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::vector<TrainExample> out;
  size_t start = 0;
  for (int line = 1; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view row(text.data() + start, end - start);
    start = end + 1;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = path + ":" + std::to_string(line);
    WARDEN_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(row, where));
    WARDEN_ASSIGN_OR_RETURN(TrainExample ex, ExampleFromJson(j, where, format, tok));
    if (ex.tokens.size() < 2) return Status::InvalidArgument(where + ": fewer than 2 tokens");
    out.push_back(std::move(ex));
  }
  if (out.empty()) return Status::InvalidArgument(path + ": no examples");
  return out;
}

}  // namespace warden::engine
