#include "warden/interp/datasets.h"

#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/rng.h"

namespace warden::interp {
namespace {

using Json = nlohmann::json;

// Calls `row(json, where)` for each non-blank line of JSONL `text`; `where` is "<source>:<line>".
template <typename Row>
Status ForEachJsonLine(std::string_view text, const std::string& source, Row row) {
  size_t line = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++line;
    const std::string where = source + ":" + std::to_string(line);
    std::string_view l = text.substr(start, end - start);
    start = end + 1;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(l, where));
    if (!j.is_object()) return Status::Corrupt(where + ": expected an object");
    WARDEN_RETURN_IF_ERROR(row(j, where));
  }
  return Status::Ok();
}

// id (required), split, category, cluster (optional; cluster defaults to the id).
Status ParseRowFields(const Json& j, const std::string& where, LabelledConversation* c) {
  WARDEN_RETURN_IF_ERROR(JsonString(j, "id", where, &c->id));
  WARDEN_RETURN_IF_ERROR(JsonOptionalString(j, "split", where, "", &c->split));
  WARDEN_RETURN_IF_ERROR(JsonOptionalString(j, "category", where, "", &c->category));
  return JsonOptionalString(j, "cluster", where, c->id, &c->cluster);
}

}  // namespace

Result<std::vector<engine::ChatMessage>> ParseMessages(const Json& messages, const std::string& where) {
  if (!messages.is_array() || messages.empty()) return Status::Corrupt(where + ": missing list 'messages'");
  std::vector<engine::ChatMessage> out;
  for (const Json& m : messages) {
    engine::ChatMessage msg;
    if (!m.is_object()) return Status::Corrupt(where + ": a message is not an object");
    WARDEN_RETURN_IF_ERROR(JsonString(m, "role", where, &msg.role));
    WARDEN_RETURN_IF_ERROR(JsonString(m, "content", where, &msg.content));
    out.push_back(std::move(msg));
  }
  return out;
}

Result<std::vector<LabelledConversation>> ParseLabelledConversations(std::string_view text, const std::string& source) {
  std::vector<LabelledConversation> out;
  WARDEN_RETURN_IF_ERROR(ForEachJsonLine(text, source, [&](const Json& j, const std::string& where) -> Status {
    LabelledConversation c;
    WARDEN_RETURN_IF_ERROR(ParseRowFields(j, where, &c));
    if (!j.contains("messages")) return Status::Corrupt(where + ": missing list 'messages'");
    WARDEN_ASSIGN_OR_RETURN(c.messages, ParseMessages(j["messages"], where));
    c.label = -1;
    if (j.contains("label")) {
      if (!j["label"].is_number_integer() || (j["label"] != 0 && j["label"] != 1)) {
        return Status::Corrupt(where + ": field 'label' must be 0 or 1");
      }
      c.label = j["label"].get<int>();
    }
    out.push_back(std::move(c));
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidArgument(source + ": no conversations");
  return out;
}

Result<std::vector<LabelledConversation>> LoadLabelledConversations(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseLabelledConversations(text, path);
}

Result<ContrastPairs> ParseContrastPairs(std::string_view text, const std::string& source) {
  ContrastPairs out;
  bool first_row = true;
  WARDEN_RETURN_IF_ERROR(ForEachJsonLine(text, source, [&](const Json& j, const std::string& where) -> Status {
    LabelledConversation row;
    WARDEN_RETURN_IF_ERROR(ParseRowFields(j, where, &row));
    const bool by_form = j.contains("yes") || j.contains("no");
    if (first_row) out.form_ordered = by_form;
    first_row = false;
    if (by_form != out.form_ordered) {
      return Status::Corrupt(where + ": a pair by " + (by_form ? "form (yes/no)" : "truth (true/false)") +
                             " in a file of pairs by " + (out.form_ordered ? "form" : "truth"));
    }
    // Each side: a whole conversation (a messages array) or an answer to "input".
    auto side = [&](const char* key, int label) -> Result<LabelledConversation> {
      LabelledConversation c = row;
      c.label = label;
      auto it = j.find(key);
      if (it != j.end() && it->is_array()) {
        WARDEN_ASSIGN_OR_RETURN(c.messages, ParseMessages(*it, where + ": field '" + key + "'"));
        return c;
      }
      std::string input, answer;
      WARDEN_RETURN_IF_ERROR(JsonString(j, "input", where, &input));
      WARDEN_RETURN_IF_ERROR(JsonString(j, key, where, &answer));
      c.messages = {{"user", input}, {"assistant", answer}};
      return c;
    };
    if (by_form) {
      auto it = j.find("label");
      if (it == j.end() || !it->is_number_integer() || (*it != 0 && *it != 1)) {
        return Status::Corrupt(where + ": field 'label' must be 0 or 1 (1: the 'yes' side is true)");
      }
      const int yes_true = it->get<int>();
      WARDEN_ASSIGN_OR_RETURN(LabelledConversation yes, side("yes", yes_true));
      WARDEN_ASSIGN_OR_RETURN(LabelledConversation no, side("no", 1 - yes_true));
      out.first.push_back(std::move(yes));
      out.second.push_back(std::move(no));
      out.first_is_true.push_back(yes_true);
      return Status::Ok();
    }
    WARDEN_ASSIGN_OR_RETURN(LabelledConversation t, side("true", 1));
    WARDEN_ASSIGN_OR_RETURN(LabelledConversation f, side("false", 0));
    const bool swap = Fnv1a64(row.id) % 2 == 1;
    out.first.push_back(swap ? f : t);
    out.second.push_back(swap ? std::move(t) : std::move(f));
    out.first_is_true.push_back(swap ? 0 : 1);
    return Status::Ok();
  }));
  if (out.size() == 0) return Status::InvalidArgument(source + ": no contrast pairs");
  return out;
}

Result<ContrastPairs> LoadContrastPairs(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseContrastPairs(text, path);
}

}  // namespace warden::interp
