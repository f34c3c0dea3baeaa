// ReadPointsCsv (sources.h).
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "warden/base/csv.h"
#include "warden/forecast/sources.h"

namespace warden::forecast {
namespace {

Result<double> Number(const std::string& text, const std::string& where) {
  if (text.empty()) return Status::Corrupt(where + ": empty");
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) {
    return Status::Corrupt(where + ": '" + text + "' is not a finite number");
  }
  return v;
}

}  // namespace

Result<std::vector<Observation>> ReadPointsCsv(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(path));
  WARDEN_ASSIGN_OR_RETURN(size_t label, t.Column("label"));
  WARDEN_ASSIGN_OR_RETURN(size_t flops, t.Column("flops"));
  WARDEN_ASSIGN_OR_RETURN(size_t score, t.Column("score"));
  std::optional<size_t> se, n;
  if (Result<size_t> c = t.Column("stderr"); c.ok()) se = *c;
  if (Result<size_t> c = t.Column("n"); c.ok()) n = *c;
  std::vector<Observation> out;
  for (const CsvRow& row : t.rows) {
    const std::string at = path + ":" + std::to_string(row.line);
    if (row.fields.size() != t.header.size()) {
      return Status::Corrupt(at + ": " + std::to_string(row.fields.size()) + " fields, the header has " +
                             std::to_string(t.header.size()));
    }
    Observation o;
    o.label = row.fields[label];
    o.source = at;
    WARDEN_ASSIGN_OR_RETURN(o.flops, Number(row.fields[flops], at + ": column 'flops'"));
    WARDEN_ASSIGN_OR_RETURN(o.score, Number(row.fields[score], at + ": column 'score'"));
    if (se && !row.fields[*se].empty()) {
      WARDEN_ASSIGN_OR_RETURN(o.stderr_score, Number(row.fields[*se], at + ": column 'stderr'"));
    }
    if (n && !row.fields[*n].empty()) {
      WARDEN_ASSIGN_OR_RETURN(double v, Number(row.fields[*n], at + ": column 'n'"));
      if (v < 0 || v != std::floor(v) || v > 1e15) return Status::Corrupt(at + ": column 'n': '" + row.fields[*n] + "' is not a count");
      o.n = static_cast<int64_t>(v);
    }
    out.push_back(std::move(o));
  }
  if (out.empty()) return Status::Corrupt(path + ": no points");
  return out;
}

}  // namespace warden::forecast
