// libFuzzer target for the RFC 4180 CSV parser (include/warden/base/csv.h): any bytes must give
// rows or a Corrupt error naming a line, never a crash, a hang or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "warden/base/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = warden::ParseCsv(text, "fuzz.csv");
  if (rows.ok()) {
    // Invariants: every record starts on a real line, lines never go backwards, and the fields
    // hold no more bytes than the input.
    size_t last_line = 0, bytes = 0;
    for (const auto& row : *rows) {
      warden::fuzz::Require(row.line != 0 && row.line >= last_line && !row.fields.empty());
      last_line = row.line;
      for (const auto& f : row.fields) bytes += f.size();
    }
    warden::fuzz::Require(bytes <= size);
  } else {
    warden::fuzz::Require(rows.status().message().rfind("fuzz.csv:", 0) == 0);  // names the line
  }
  auto table = warden::ParseCsvTable(text, "fuzz.csv");
  if (table.ok()) (void)table->Column("prompt");
  return 0;
}
