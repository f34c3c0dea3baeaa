#include "warden/evals/dataset.h"

#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "warden/base/csv.h"
#include "warden/base/file.h"
#include "warden/base/gzip.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"
#include "warden/base/strings.h"

namespace warden::evals {
namespace {

using Json = nlohmann::json;

enum class Format { kCsv, kJson, kJsonl };

// By extension (after any .gz), else by the first non-space byte.
Format DetectFormat(std::string name, const std::string& text) {
  if (EndsWith(name, ".gz")) name.resize(name.size() - 3);
  if (EndsWith(name, ".csv")) return Format::kCsv;
  if (EndsWith(name, ".jsonl") || EndsWith(name, ".ndjson")) return Format::kJsonl;
  if (EndsWith(name, ".json")) return Format::kJson;
  for (char c : text) {
    if (c == '[') return Format::kJson;
    if (c == '{') return Format::kJsonl;
    if (!std::isspace(static_cast<unsigned char>(c))) break;
  }
  return Format::kCsv;
}

// One row's fields, however the file stores them.
class Row {
 public:
  virtual ~Row() = default;
  // The field as text; NotFound when absent, InvalidArgument when not a scalar.
  virtual Result<std::string> Text(const std::string& name) const = 0;
  // The choices field as a list.
  virtual Result<std::vector<std::string>> List(const std::string& name) const = 0;
  // A JSON integer target is a 0-based choice index.
  virtual bool IsIndex(const std::string& name) const { return false; }
};

class CsvRowView : public Row {
 public:
  CsvRowView(const CsvTable& t, const CsvRow& r) : t_(t), r_(r) {}
  Result<std::string> Text(const std::string& name) const override {
    WARDEN_ASSIGN_OR_RETURN(size_t col, t_.Column(name));
    if (col >= r_.fields.size()) return Status::NotFound("column '" + name + "' missing from this row");
    return r_.fields[col];
  }
  Result<std::vector<std::string>> List(const std::string& name) const override {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
      const size_t bar = name.find('|', start);
      WARDEN_ASSIGN_OR_RETURN(std::string v, Text(name.substr(start, bar - start)));
      out.push_back(std::move(v));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    return out;
  }

 private:
  const CsvTable& t_;
  const CsvRow& r_;
};

class JsonRowView : public Row {
 public:
  explicit JsonRowView(const Json& j) : j_(j) {}
  Result<std::string> Text(const std::string& name) const override {
    WARDEN_ASSIGN_OR_RETURN(const Json* v, Find(name));
    if (v->is_string()) return v->get<std::string>();
    if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
    if (v->is_number() || v->is_boolean()) return v->dump();
    return Status::InvalidArgument("field '" + name + "' is " + JsonTypeName(*v) + ", expected a string");
  }
  Result<std::vector<std::string>> List(const std::string& name) const override {
    WARDEN_ASSIGN_OR_RETURN(const Json* v, Find(name));
    if (!v->is_array()) return Status::InvalidArgument("field '" + name + "' is " + JsonTypeName(*v) + ", expected an array");
    std::vector<std::string> out;
    for (const Json& x : *v) {
      if (!x.is_string()) return Status::InvalidArgument("field '" + name + "' holds a " + JsonTypeName(x) + ", expected strings");
      out.push_back(x.get<std::string>());
    }
    return out;
  }
  bool IsIndex(const std::string& name) const override {
    auto v = Find(name);
    return v.ok() && (*v)->is_number_integer();
  }

 private:
  Result<const Json*> Find(const std::string& path) const {
    const Json* cur = &j_;
    size_t start = 0;
    while (true) {
      const size_t dot = path.find('.', start);
      const std::string key = path.substr(start, dot - start);
      if (!cur->is_object() || !cur->contains(key)) return Status::NotFound("missing field '" + path + "'");
      cur = &(*cur)[key];
      if (dot == std::string::npos) return cur;
      start = dot + 1;
    }
  }
  const Json& j_;
};

Result<std::string> Optional(const Row& row, const std::string& name) {
  if (name.empty()) return std::string();
  auto v = row.Text(name);
  if (!v.ok() && v.status().code() == StatusCode::kNotFound) return std::string();
  return v;
}

// The row as a sample; errors are the row's problem, without the location.
Result<Sample> ToSample(const Row& row, const FieldMap& f, size_t line) {
  Sample s;
  s.line = line;
  WARDEN_ASSIGN_OR_RETURN(s.input, row.Text(f.input));
  if (s.input.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("field '" + f.input + "' is empty");
  }
  WARDEN_ASSIGN_OR_RETURN(s.id, Optional(row, f.id));
  if (s.id.empty()) s.id = std::to_string(line);
  WARDEN_ASSIGN_OR_RETURN(s.category, Optional(row, f.category));
  WARDEN_ASSIGN_OR_RETURN(s.cluster, Optional(row, f.cluster));
  if (s.cluster.empty()) s.cluster = s.id;
  if (!f.choices.empty()) {
    WARDEN_ASSIGN_OR_RETURN(s.choices, row.List(f.choices));
    if (s.choices.size() < 2 || s.choices.size() > 26) {
      return Status::InvalidArgument("field '" + f.choices + "' has " + std::to_string(s.choices.size()) +
                                     " choices, expected 2 to 26");
    }
  }
  if (!f.target.empty()) {
    WARDEN_ASSIGN_OR_RETURN(std::string t, row.Text(f.target));
    if (!s.choices.empty()) {
      // A letter, an index or a choice's text, normalised to the letter.
      // A choice's exact text first (a choice may itself be a letter), then an index or a letter.
      int index = -1;
      for (size_t i = 0; i < s.choices.size() && index < 0; ++i) {
        if (s.choices[i] == t) index = static_cast<int>(i);
      }
      if (index < 0 && row.IsIndex(f.target)) {
        const long long v = std::strtoll(t.c_str(), nullptr, 10);
        index = v >= 0 && v < static_cast<long long>(s.choices.size()) ? static_cast<int>(v) : -1;
      } else if (index < 0 && t.size() == 1 && std::isalpha(static_cast<unsigned char>(t[0]))) {
        index = std::toupper(static_cast<unsigned char>(t[0])) - 'A';
      }
      if (index < 0 || index >= static_cast<int>(s.choices.size())) {
        return Status::InvalidArgument("field '" + f.target + "' ('" + t.substr(0, 40) + "') names none of the " +
                                       std::to_string(s.choices.size()) + " choices");
      }
      t = ChoiceLabel(static_cast<size_t>(index));
    }
    s.target = std::move(t);
  }
  return s;
}

// Adds a sample or records the row's error; fails when asked to.
Status Accept(Result<Sample> s, size_t line, const std::string& source, BadRows bad, Dataset* d) {
  if (s.ok()) {
    d->samples.push_back(std::move(*s));
    return Status::Ok();
  }
  RowError e{line, source + ":" + std::to_string(line) + ": " + s.status().message()};
  if (bad == BadRows::kFail) return Status(s.status().code() == StatusCode::kNotFound ? StatusCode::kInvalidArgument : s.status().code(), e.message);
  d->skipped.push_back(std::move(e));
  return Status::Ok();
}

}  // namespace

std::string ChoiceLabel(size_t index) { return std::string(1, static_cast<char>('A' + index)); }

Result<Dataset> ParseDataset(const std::string& stored, const std::string& source, const FieldMap& fields,
                             BadRows bad) {
  if (fields.input.empty()) return Status::InvalidArgument(source + ": no input field named");
  Dataset d;
  d.path = source;
  d.sha256 = Sha256Hex(stored);
  std::string inflated;
  if (LooksGzipped(stored)) {
    WARDEN_ASSIGN_OR_RETURN(inflated, Gunzip(stored, source));
  }
  const std::string& text = LooksGzipped(stored) ? inflated : stored;
  switch (DetectFormat(source, text)) {
    case Format::kCsv: {
      WARDEN_ASSIGN_OR_RETURN(CsvTable t, ParseCsvTable(text, source));
      WARDEN_RETURN_IF_ERROR(t.Column(fields.input).status());  // a wrong field name is the whole file's problem
      for (const CsvRow& r : t.rows) {
        Result<Sample> s = r.fields.size() != t.header.size()
                               ? Result<Sample>(Status::InvalidArgument(
                                     "row has " + std::to_string(r.fields.size()) + " fields, header has " +
                                     std::to_string(t.header.size())))
                               : ToSample(CsvRowView(t, r), fields, r.line);
        WARDEN_RETURN_IF_ERROR(Accept(std::move(s), r.line, source, bad, &d));
      }
      break;
    }
    case Format::kJson: {
      WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(text, source));
      if (!j.is_array()) return Status::Corrupt(source + ": expected a JSON array of objects, found " + JsonTypeName(j));
      for (size_t i = 0; i < j.size(); ++i) {
        // JSON arrays have no lines: `line` is the element's 1-based index.
        WARDEN_RETURN_IF_ERROR(Accept(ToSample(JsonRowView(j[i]), fields, i + 1), i + 1, source + " element", bad, &d));
      }
      break;
    }
    case Format::kJsonl: {
      size_t line = 0, start = 0;
      while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        ++line;
        std::string_view l(text.data() + start, end - start);
        const size_t offset = start;
        start = end + 1;
        if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        Result<Json> j = ParseJson(l, source + ":" + std::to_string(line), offset);
        Result<Sample> s = !j.ok()      ? Result<Sample>(j.status())
                           : !j->is_object() ? Result<Sample>(Status::InvalidArgument("line is a JSON " +
                                                                                     std::string(JsonTypeName(*j)) + ", expected an object"))
                                             : ToSample(JsonRowView(*j), fields, line);
        if (!s.ok() && !j.ok()) {
          // ParseJson's message already names the source and line.
          RowError e{line, j.status().message()};
          if (bad == BadRows::kFail) return j.status();
          d.skipped.push_back(std::move(e));
          continue;
        }
        WARDEN_RETURN_IF_ERROR(Accept(std::move(s), line, source, bad, &d));
      }
      break;
    }
  }
  if (d.samples.empty()) {
    std::string why = d.skipped.empty() ? "no rows" : std::to_string(d.skipped.size()) + " bad rows, first: " + d.skipped[0].message;
    return Status::InvalidArgument(source + ": no usable samples (" + why + ")");
  }
  return d;
}

Result<Dataset> LoadDataset(const std::string& path, const FieldMap& fields, BadRows bad) {
  WARDEN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return ParseDataset(bytes, path, fields, bad);
}

}  // namespace warden::evals
