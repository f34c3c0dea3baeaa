#include "store/sqlite.h"

namespace warden::store::internal {

Statement::Statement(sqlite3* db, const std::string& sql, const std::string& where) : db_(db), where_(where) {
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    status_ = Status::Corrupt(where + ": " + sqlite3_errmsg(db));
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(const std::string& v) {
  if (status_.ok()) sqlite3_bind_text(stmt_, next_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  ++next_;
  return *this;
}

Statement& Statement::Bind(int64_t v) {
  if (status_.ok()) sqlite3_bind_int64(stmt_, next_, v);
  ++next_;
  return *this;
}

Statement& Statement::Bind(double v) {
  if (status_.ok()) sqlite3_bind_double(stmt_, next_, v);
  ++next_;
  return *this;
}

bool Statement::Step() {
  if (!status_.ok()) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    status_ = rc == SQLITE_FULL || rc == SQLITE_IOERR ? Status::IoError(where_ + ": " + sqlite3_errmsg(db_))
                                                     : Status::Corrupt(where_ + ": " + sqlite3_errmsg(db_));
  }
  return false;
}

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }

Status Exec(sqlite3* db, const std::string& sql, const std::string& where) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Status::Corrupt(where + ": " + m);
  }
  return Status::Ok();
}

}  // namespace warden::store::internal
