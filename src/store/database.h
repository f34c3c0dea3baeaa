// Internal to store: the one seam between the store's logic (store.cc, review.cc, users.cc) and
// the SQL server behind it. Two back-ends implement it: SQLite (sqlite.cc, a file: the embedded
// default) and PostgreSQL (postgres.cc, libpq: many gateways on one server).
//
// Statements are written once, in the SQL both accept, with `?` for each parameter (the
// PostgreSQL back-end numbers them $1, $2, ...). Column types in the schema are written as
// {int}, {real} and {text} (Schema below). Results come back as cells read with Text, Int and
// Double. Errors are Status values that name the database (its file, or its URL without the
// password): a unique-key conflict is FailedPrecondition, a lost server Unavailable, a disk
// problem IoError, anything else Corrupt.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "warden/base/status.h"

namespace warden::store::internal {

using Value = std::variant<int64_t, double, std::string>;

// The rows a statement returned, every cell as bytes (numbers in their shortest exact decimal form).
class Rows {
 public:
  size_t size() const { return cells_.size(); }
  bool empty() const { return cells_.empty(); }
  const std::string& Text(size_t row, int col) const { return cells_[row][static_cast<size_t>(col)]; }
  int64_t Int(size_t row, int col) const;
  double Double(size_t row, int col) const;

  std::vector<std::vector<std::string>> cells_;
  int64_t changed = 0;  // rows an INSERT, UPDATE or DELETE touched
};

enum class Dialect { kSqlite, kPostgres };

class Database {
 public:
  virtual ~Database() = default;
  // Names the database in every error: the file's path, or the URL without its password.
  const std::string& where() const { return where_; }
  virtual Dialect dialect() const = 0;

  // Runs one statement with its parameters.
  virtual Result<Rows> Run(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // Runs statements with no parameters and no rows (the schema).
  virtual Status Script(const std::string& sql) = 0;

  // A transaction that no other writer of the same database (other threads, other processes,
  // other gateways) runs beside: the decision chain's append reads the last record and writes the
  // next. SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN and a transaction-scoped advisory lock.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;

 protected:
  std::string where_;
};

// Opens a SQLite file (created when missing), WAL with synchronous=FULL.
Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path);
// Connects to a PostgreSQL server: `url` is a libpq connection URI (postgresql://...).
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url);

// The schema with its {int}, {real} and {text} written in the dialect's types. Free text is BYTEA
// on PostgreSQL: the store keeps exactly the bytes it was given (a prompt may hold a NUL or a
// split UTF-8 sequence, which PostgreSQL's TEXT refuses).
std::string Schema(const std::string& generic, Dialect dialect);

// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db" (for messages and logs).
std::string RedactPassword(const std::string& url);

}  // namespace warden::store::internal
