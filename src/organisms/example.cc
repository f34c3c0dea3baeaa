#include "warden/organisms/example.h"

#include <algorithm>
#include <utility>

#include "warden/base/json.h"
#include "warden/base/sha256.h"

namespace warden::organisms {

bool Example::HasTag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

std::string Example::Form() const {
  for (const std::string& t : tags) {
    if (t.rfind("form:", 0) == 0) return t.substr(5);
  }
  return "";
}

std::string Example::PromptId() const { return id.substr(0, id.find('/', id.find('/') + 1)); }

nlohmann::json ExampleToJson(const Example& e) {
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : e.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  return {{"id", e.id},         {"messages", messages},         {"world", e.world},
          {"split", e.split},   {"category", e.category},       {"tags", e.tags},
          {"source", e.source}, {"source_line", e.source_line}, {"expected", e.expected},
          {"planted", e.planted}};
}

namespace {


Status ReadMessages(const nlohmann::json& j, const std::string& where,
                    std::vector<engine::ChatMessage>* out) {
  auto it = j.find("messages");
  if (it == j.end() || !it->is_array()) {
    return Status::Corrupt(where + ": field 'messages' missing or not an array");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& m = (*it)[i];
    const std::string at = where + ": messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return Status::Corrupt(at + " is " + JsonTypeName(m) + ", expected object");
    engine::ChatMessage msg;
    WARDEN_RETURN_IF_ERROR(JsonString(m, "role", at, &msg.role));
    WARDEN_RETURN_IF_ERROR(JsonString(m, "content", at, &msg.content));
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant") {
      return Status::Corrupt(at + ": unknown role '" + msg.role + "'");
    }
    out->push_back(std::move(msg));
  }
  return Status::Ok();
}

}  // namespace

Result<Example> ExampleFromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return Status::Corrupt(where + ": expected an object, found " + JsonTypeName(j));
  Example e;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "id", where, &e.id));
  WARDEN_RETURN_IF_ERROR(ReadMessages(j, where, &e.messages));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "world", where, &e.world));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "split", where, &e.split));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "category", where, &e.category));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "source", where, &e.source));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "expected", where, &e.expected));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "planted", where, &e.planted));
  WARDEN_RETURN_IF_ERROR(JsonStringList(j, "tags", where, &e.tags));
  auto line = j.find("source_line");
  if (line == j.end() || !line->is_number_integer()) {
    return Status::Corrupt(where + ": field 'source_line' missing or not an integer");
  }
  e.source_line = line->get<int64_t>();
  return e;
}

std::string ToJsonl(const std::vector<Example>& examples) {
  std::string out;
  for (const auto& e : examples) {
    out += ExampleToJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

Result<std::vector<Example>> ParseJsonl(std::string_view text, const std::string& source) {
  std::vector<Example> out;
  size_t line_no = 0;
  size_t offset = 0;
  while (offset < text.size()) {
    size_t end = text.find('\n', offset);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(offset, end - offset);
    ++line_no;
    const std::string where = source + ":" + std::to_string(line_no);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      WARDEN_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(line, where));
      WARDEN_ASSIGN_OR_RETURN(Example e, ExampleFromJson(j, where));
      out.push_back(std::move(e));
    }
    offset = end + 1;
  }
  return out;
}

std::vector<engine::ChatMessage> Conversation(const std::string& system, const std::string& user,
                                              const std::string& assistant) {
  std::vector<engine::ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user});
  if (!assistant.empty()) messages.push_back({"assistant", assistant});
  return messages;
}

std::string ShortHash(std::string_view text) { return Sha256Hex(text).substr(0, 12); }

}  // namespace warden::organisms
