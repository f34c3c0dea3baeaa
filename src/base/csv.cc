#include "warden/base/csv.h"

#include <utility>

#include "warden/base/file.h"

namespace warden {
namespace {

// A single pass over the bytes with an explicit cursor: the state is which kind of field we are
// in, so every byte is looked at once and no input can make the loop go backwards (no hangs).
class CsvParser {
 public:
  CsvParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Result<std::vector<CsvRow>> Parse() {
    std::vector<CsvRow> rows;
    while (pos_ < text_.size()) {
      CsvRow row;
      row.line = line_;
      WARDEN_RETURN_IF_ERROR(ParseRecord(&row));
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  Status ParseRecord(CsvRow* row) {
    while (true) {
      std::string field;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        WARDEN_RETURN_IF_ERROR(ParseQuoted(&field));
      } else {
        WARDEN_RETURN_IF_ERROR(ParseUnquoted(&field));
      }
      row->fields.push_back(std::move(field));
      if (pos_ >= text_.size()) return Status::Ok();
      const char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == '\n') {
        ++pos_;
        ++line_;
        return Status::Ok();
      }
      if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        pos_ += 2;
        ++line_;
        return Status::Ok();
      }
      return Error(std::string("unexpected character '") + Printable(c) + "' after a quoted field");
    }
  }

  // Stops at ',', LF, CRLF or the end; a lone CR is kept as data (some files use it in text).
  Status ParseUnquoted(std::string* field) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ',' || c == '\n') return Status::Ok();
      if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') return Status::Ok();
      if (c == '"') return Error("a '\"' inside an unquoted field (quote the whole field)");
      field->push_back(c);
      ++pos_;
    }
    return Status::Ok();
  }

  Status ParseQuoted(std::string* field) {
    const size_t start_line = line_;
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field->push_back('"');
          ++pos_;
          continue;
        }
        return Status::Ok();
      }
      if (c == '\n') ++line_;
      field->push_back(c);
    }
    return Status::Corrupt(source_ + ":" + std::to_string(start_line) +
                           ": quoted field never closed (unbalanced '\"')");
  }

  static std::string Printable(char c) {
    if (c >= 0x20 && c < 0x7f) return std::string(1, c);
    static const char* kHex = "0123456789abcdef";
    const auto u = static_cast<unsigned char>(c);
    return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
  }

  Status Error(const std::string& problem) const {
    return Status::Corrupt(source_ + ":" + std::to_string(line_) + ": " + problem);
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace

Result<std::vector<CsvRow>> ParseCsv(std::string_view text, const std::string& source) {
  return CsvParser(text, source).Parse();
}

Result<size_t> CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return Status::NotFound(source + ": no column named '" + std::string(name) + "' in the header");
}

Result<CsvTable> ParseCsvTable(std::string_view text, const std::string& source) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  WARDEN_ASSIGN_OR_RETURN(std::vector<CsvRow> rows, ParseCsv(text, source));
  if (rows.empty()) return Status::Corrupt(source + ": empty CSV file (no header line)");
  CsvTable table;
  table.source = source;
  table.header = std::move(rows.front().fields);
  rows.erase(rows.begin());
  table.rows = std::move(rows);
  return table;
}

Result<CsvTable> ReadCsvFile(const std::string& path) {
  if (!FileExists(path)) return Status::NotFound(path + ": no such file");
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseCsvTable(text, path);
}

}  // namespace warden
