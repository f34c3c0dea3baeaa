// YAML -> SafetyCase. yaml-cpp throws; everything it does stays inside this file, and every
// exception becomes a Status naming the file, the field and the line.
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <utility>

#include "warden/base/file.h"
#include "warden/casebook/safety_case.h"

namespace warden::casebook {
namespace {

constexpr size_t kMaxCaseBytes = 4u << 20;

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char ch : id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char ch : s) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  }
  return true;
}

// One YAML mapping, checked for duplicate and unknown keys, with typed accessors whose errors
// name "<source>: <where>.<key>: <problem> (line N)".
class Fields {
 public:
  Fields(const YAML::Node& node, std::string where, const std::string& source)
      : node_(node), where_(std::move(where)), source_(source) {}

  Status Init(const std::set<std::string>& known) {
    if (!node_.IsMap()) return Error("", std::string("expected a mapping, got ") + KindName(node_), node_);
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (!it->first.IsScalar()) return Error("", "a key is not a string", it->first);
      const std::string key = it->first.Scalar();
      if (!known.count(key)) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return Error(key, "unknown field (expected one of: " + list + ")", it->first);
      }
      if (!values_.emplace(key, it->second).second) return Error(key, "duplicate key", it->first);
    }
    return Status::Ok();
  }

  bool Has(const std::string& key) const {
    auto it = values_.find(key);
    return it != values_.end() && !it->second.IsNull();
  }
  const YAML::Node& Get(const std::string& key) const { return values_.at(key); }

  Status String(const std::string& key, bool required, std::string* out) const {
    if (!Has(key)) return required ? Error(key, "missing", node_) : Status::Ok();
    const YAML::Node& v = values_.at(key);
    if (!v.IsScalar()) return Error(key, std::string("expected a string, got ") + KindName(v), v);
    if (!ValidUtf8(v.Scalar())) return Error(key, "not valid UTF-8", v);
    *out = v.Scalar();
    return Status::Ok();
  }

  Status Bool(const std::string& key, bool* out) const {
    if (!Has(key)) return Status::Ok();
    const YAML::Node& v = values_.at(key);
    if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) {
      *out = v.Scalar() == "true";
      return Status::Ok();
    }
    return Error(key, "expected true or false", v);
  }

  // A list of ids: a sequence of scalars, or one scalar.
  Status IdList(const std::string& key, std::vector<std::string>* out) const {
    if (!Has(key)) return Status::Ok();
    const YAML::Node& v = values_.at(key);
    if (v.IsScalar()) {
      if (!ValidId(v.Scalar())) return Error(key, "'" + Printable(v.Scalar()) + "' is not a valid id", v);
      out->push_back(v.Scalar());
      return Status::Ok();
    }
    if (!v.IsSequence()) return Error(key, std::string("expected a list of ids, got ") + KindName(v), v);
    for (size_t i = 0; i < v.size(); ++i) {
      const YAML::Node& item = v[i];
      const std::string at = key + "[" + std::to_string(i) + "]";
      if (!item.IsScalar()) return Error(at, std::string("expected an id, got ") + KindName(item), item);
      if (!ValidId(item.Scalar())) return Error(at, "'" + Printable(item.Scalar()) + "' is not a valid id", item);
      out->push_back(item.Scalar());
    }
    return Status::Ok();
  }

  Status Error(const std::string& key, const std::string& problem, const YAML::Node& at) const {
    std::string field = where_;
    if (!key.empty()) field += (field.empty() ? "" : ".") + key;
    std::string msg = source_ + ": " + (field.empty() ? "" : field + ": ") + problem;
    const YAML::Mark m = at.Mark();
    if (m.line >= 0) msg += " (line " + std::to_string(m.line + 1) + ")";
    return Status::Corrupt(msg);
  }

  static std::string Printable(const std::string& s) {
    std::string out;
    for (unsigned char ch : s.substr(0, 64)) {
      if (ch >= 0x20 && ch < 0x7f) {
        out += static_cast<char>(ch);
      } else {
        static const char* kHex = "0123456789abcdef";
        out += "\\x";
        out += kHex[ch >> 4];
        out += kHex[ch & 15];
      }
    }
    return out;
  }

  static const char* KindName(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map: return "a mapping";
      case YAML::NodeType::Sequence: return "a list";
      case YAML::NodeType::Scalar: return "a scalar";
      case YAML::NodeType::Null: return "nothing";
      default: return "an undefined node";
    }
  }

 private:
  const YAML::Node& node_;
  std::string where_;
  const std::string& source_;
  std::map<std::string, YAML::Node> values_;
};

Status ParseEvidence(const YAML::Node& y, const std::string& where, const std::string& source, Evidence* e) {
  Fields f(y, where, source);
  WARDEN_RETURN_IF_ERROR(f.Init({"path", "sha256", "record", "selector", "condition"}));
  WARDEN_RETURN_IF_ERROR(f.String("path", true, &e->path));
  if (e->path.empty()) return f.Error("path", "empty", f.Get("path"));
  if (e->path[0] == '/') return f.Error("path", "absolute; write it relative to the case file's directory", f.Get("path"));
  if (e->path.find('\0') != std::string::npos) return f.Error("path", "contains a NUL byte", f.Get("path"));
  WARDEN_RETURN_IF_ERROR(f.String("sha256", true, &e->sha256));
  if (!IsHex64(e->sha256)) return f.Error("sha256", "expected 64 lower-case hex digits", f.Get("sha256"));
  std::string record = "document";
  WARDEN_RETURN_IF_ERROR(f.String("record", false, &record));
  static const std::pair<const char*, RecordKind> kRecords[] = {
      {"document", RecordKind::kDocument}, {"header", RecordKind::kHeader}, {"footer", RecordKind::kFooter},
      {"first", RecordKind::kFirst}, {"last", RecordKind::kLast}};
  bool found = false;
  for (const auto& [name, kind] : kRecords) {
    if (record == name) { e->record = kind; found = true; }
  }
  if (!found) {
    return f.Error("record", "unknown record '" + Fields::Printable(record) +
                             "' (expected document, header, footer, first or last)", f.Get("record"));
  }
  WARDEN_RETURN_IF_ERROR(f.String("selector", false, &e->selector));
  if (!e->selector.empty() && e->selector[0] != '/') {
    return f.Error("selector", "a JSON pointer starts with '/' (e.g. /summary/accuracy)", f.Get("selector"));
  }
  std::string condition = "exists";
  WARDEN_RETURN_IF_ERROR(f.String("condition", false, &condition));
  auto parsed = ParseCondition(condition);
  if (!parsed.ok()) return f.Error("condition", parsed.status().message(), f.Get("condition"));
  e->condition = *std::move(parsed);
  return Status::Ok();
}

Status ParseNode(const YAML::Node& y, const std::string& where, const std::string& source, Node* n) {
  Fields f(y, where, source);
  WARDEN_RETURN_IF_ERROR(f.Init({"id", "type", "text", "supported_by", "in_context_of", "undeveloped", "evidence"}));
  n->line = y.Mark().line + 1;
  WARDEN_RETURN_IF_ERROR(f.String("id", true, &n->id));
  if (!ValidId(n->id)) {
    return f.Error("id", "'" + Fields::Printable(n->id) + "' is not a valid id (letters, digits, _ - . only)", f.Get("id"));
  }
  std::string type;
  WARDEN_RETURN_IF_ERROR(f.String("type", true, &type));
  static const NodeType kTypes[] = {NodeType::kGoal, NodeType::kStrategy, NodeType::kSolution,
                                    NodeType::kContext, NodeType::kAssumption, NodeType::kJustification};
  bool known = false;
  for (NodeType t : kTypes) {
    if (type == NodeTypeName(t)) { n->type = t; known = true; }
  }
  if (!known) {
    return f.Error("type", "unknown node type '" + Fields::Printable(type) +
                           "' (expected goal, strategy, solution, context, assumption or justification)", f.Get("type"));
  }
  WARDEN_RETURN_IF_ERROR(f.String("text", true, &n->text));
  WARDEN_RETURN_IF_ERROR(f.IdList("supported_by", &n->supported_by));
  WARDEN_RETURN_IF_ERROR(f.IdList("in_context_of", &n->in_context_of));
  WARDEN_RETURN_IF_ERROR(f.Bool("undeveloped", &n->undeveloped));
  if (f.Has("evidence")) {
    n->has_evidence = true;
    WARDEN_RETURN_IF_ERROR(ParseEvidence(f.Get("evidence"), where + ".evidence", source, &n->evidence));
  }
  return Status::Ok();
}

Status ParseDefeater(const YAML::Node& y, const std::string& where, const std::string& source, Defeater* d) {
  Fields f(y, where, source);
  WARDEN_RETURN_IF_ERROR(f.Init({"id", "text", "against", "status", "rebutted_by"}));
  d->line = y.Mark().line + 1;
  WARDEN_RETURN_IF_ERROR(f.String("id", true, &d->id));
  if (!ValidId(d->id)) return f.Error("id", "'" + Fields::Printable(d->id) + "' is not a valid id", f.Get("id"));
  WARDEN_RETURN_IF_ERROR(f.String("text", true, &d->text));
  WARDEN_RETURN_IF_ERROR(f.String("against", true, &d->against));
  if (!ValidId(d->against)) return f.Error("against", "'" + Fields::Printable(d->against) + "' is not a valid id", f.Get("against"));
  std::string status;
  WARDEN_RETURN_IF_ERROR(f.String("status", true, &status));
  if (status == "open") {
    d->status = DefeaterStatus::kOpen;
  } else if (status == "rebutted") {
    d->status = DefeaterStatus::kRebutted;
  } else {
    return f.Error("status", "unknown status '" + Fields::Printable(status) + "' (expected open or rebutted)", f.Get("status"));
  }
  return f.IdList("rebutted_by", &d->rebutted_by);
}

Status ParseRoot(const YAML::Node& root, const std::string& source, SafetyCase* c) {
  if (!root.IsMap()) return Status::Corrupt(source + ": expected a mapping with case, nodes and defeaters at the top");
  Fields top(root, "", source);
  WARDEN_RETURN_IF_ERROR(top.Init({"case", "nodes", "defeaters"}));
  if (!top.Has("case")) return top.Error("case", "missing", root);
  Fields info(top.Get("case"), "case", source);
  WARDEN_RETURN_IF_ERROR(info.Init({"id", "title", "version", "description"}));
  WARDEN_RETURN_IF_ERROR(info.String("id", true, &c->info.id));
  WARDEN_RETURN_IF_ERROR(info.String("title", true, &c->info.title));
  WARDEN_RETURN_IF_ERROR(info.String("version", true, &c->info.version));
  WARDEN_RETURN_IF_ERROR(info.String("description", false, &c->info.description));

  if (!top.Has("nodes")) return top.Error("nodes", "missing", root);
  const YAML::Node& nodes = top.Get("nodes");
  if (!nodes.IsSequence()) return top.Error("nodes", "expected a list of nodes", nodes);
  if (nodes.size() == 0) return top.Error("nodes", "empty: a case needs at least its root goal", nodes);
  for (size_t i = 0; i < nodes.size(); ++i) {
    Node n;
    WARDEN_RETURN_IF_ERROR(ParseNode(nodes[i], "nodes[" + std::to_string(i) + "]", source, &n));
    c->nodes.push_back(std::move(n));
  }
  if (top.Has("defeaters")) {
    const YAML::Node& defs = top.Get("defeaters");
    if (!defs.IsSequence()) return top.Error("defeaters", "expected a list of defeaters", defs);
    for (size_t i = 0; i < defs.size(); ++i) {
      Defeater d;
      WARDEN_RETURN_IF_ERROR(ParseDefeater(defs[i], "defeaters[" + std::to_string(i) + "]", source, &d));
      c->defeaters.push_back(std::move(d));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<SafetyCase> ParseCase(const std::string& yaml_text, const std::string& source_name) {
  if (yaml_text.size() > kMaxCaseBytes) {
    return Status::InvalidArgument(source_name + ": larger than 4 MiB; not a safety case");
  }
  SafetyCase c;
  c.source_name = source_name;
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    WARDEN_RETURN_IF_ERROR(ParseRoot(root, source_name, &c));
  } catch (const YAML::Exception& e) {
    std::string where = source_name;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    return Status::Corrupt(where + ": malformed YAML: " + e.msg);
  } catch (const std::exception& e) {
    return Status::Corrupt(source_name + ": cannot read YAML: " + e.what());
  }
  return c;
}

Result<SafetyCase> LoadCase(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseCase(text, path);
}

}  // namespace warden::casebook
