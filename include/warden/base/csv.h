// RFC 4180 CSV: parsing untrusted comma-separated files into rows of strings.
//
// Why warden has its own parser: Debian's C++ CSV packages do not fit. libfccp-dev
// (fast-cpp-csv-parser) is line-based (no line breaks inside quoted fields, which HarmBench's
// ContextString needs) and fixes the column count at compile time; libcsv-dev is a C callback
// parser that reports neither the line of a bad record nor the record it started on. This one is
// small, strict and fuzzed (fuzz/csv_fuzz.cc).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"

namespace warden {

// One record. `line` is the 1-based line on which the record starts (a quoted field may carry
// the record over several lines), for error messages that point a user at the file.
struct CsvRow {
  size_t line = 0;
  std::vector<std::string> fields;
};

// Parses `text` as RFC 4180 CSV:
//  - records end at LF or CRLF; the last record may lack a line ending; a final empty line is
//    not a record;
//  - a field that starts with '"' is quoted: it may contain commas, CR, LF, and '""' for '"';
//    after its closing quote only ',' or a line ending may follow;
//  - a '"' inside an unquoted field, text after a closing quote, and an unterminated quoted
//    field are Corrupt errors: "<source>:<line>: <problem>".
// Records may have different numbers of fields: checking the width is the caller's job, so that
// one bad row can be skipped and reported without losing the rest of the file.
// Never throws (other than std::bad_alloc).
Result<std::vector<CsvRow>> ParseCsv(std::string_view text, const std::string& source);

// A CSV file whose first record names the columns.
struct CsvTable {
  std::string source;               // the path or name given when parsing, for messages
  std::vector<std::string> header;  // column names, as written
  std::vector<CsvRow> rows;         // every record after the header, any width

  // The index of the column named `name`, or NotFound naming the source and the column.
  Result<size_t> Column(std::string_view name) const;
};

// ParseCsv plus a header: the first record is the header (an empty text is a Corrupt error).
// A UTF-8 byte-order mark before the header is skipped.
Result<CsvTable> ParseCsvTable(std::string_view text, const std::string& source);

// Reads and parses a file; a missing file is NotFound naming the path.
Result<CsvTable> ReadCsvFile(const std::string& path);

}  // namespace warden
