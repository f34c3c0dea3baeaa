// Internal to store: a thin RAII layer over SQLite's C API (statements, bound values, errors
// as Status naming the database file). Nothing outside src/store sees sqlite3.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::store::internal {

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& where);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  const Status& status() const { return status_; }
  Statement& Bind(const std::string& v);
  Statement& Bind(int64_t v);
  Statement& Bind(double v);
  // SQLITE_ROW: true; SQLITE_DONE: false; anything else sets status() and returns false.
  bool Step();
  std::string Text(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int next_ = 1;
  std::string where_;
  Status status_;
};

// Runs SQL with no result rows.
Status Exec(sqlite3* db, const std::string& sql, const std::string& where);

}  // namespace warden::store::internal
