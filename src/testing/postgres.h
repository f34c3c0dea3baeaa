// Tests that need a PostgreSQL server: the store's PostgreSQL back-end, two gateways on one server.
//
// scripts/test.sh starts a private server (scripts/postgres-test-server.sh) and sets
// WARDEN_TEST_POSTGRES to its URL prefix, "postgresql://warden@127.0.0.1:PORT"; each test creates
// its own database on it. Without that variable such a test skips, or fails when
// WARDEN_REQUIRE_SHARED=1 (CI) or WARDEN_REQUIRE_POSTGRES=1 is set.
//
//   TEST(PgStore, Chains) {
//     WARDEN_NEED_POSTGRES();
//     const std::string url = warden::test::FreshPostgresDatabase("pgstore_chains");
//     ...
//   }
//
// Header-only, test binaries only (they link libpq through warden_store).
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <string>

namespace warden::test {

inline std::string PostgresPrefix() {
  const char* v = std::getenv("WARDEN_TEST_POSTGRES");
  return v != nullptr ? v : "";
}

inline bool PostgresRequired() {
  for (const char* name : {"WARDEN_REQUIRE_SHARED", "WARDEN_REQUIRE_POSTGRES"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0' && std::string(v) != "0") return true;
  }
  return false;
}

// Runs SQL on a database of the test server ("postgres": the maintenance one); returns libpq's
// error message, or "" when it worked.
inline std::string PostgresExec(const std::string& database, const std::string& sql) {
  PGconn* c = PQconnectdb((PostgresPrefix() + "/" + database).c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

// Drops and creates database `name` (lower-case letters, digits, '_'); returns its URL, or "" and
// a test failure when the server refuses.
inline std::string FreshPostgresDatabase(const std::string& name) {
  std::string error = PostgresExec("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  if (error.empty()) error = PostgresExec("postgres", "CREATE DATABASE " + name);
  if (!error.empty()) {
    ADD_FAILURE() << "cannot create test database " << name << ": " << error;
    return "";
  }
  return PostgresPrefix() + "/" + name;
}

}  // namespace warden::test

#define WARDEN_NEED_POSTGRES()                                                                   \
  if (!::warden::test::PostgresPrefix().empty()) {                                               \
  } else if (::warden::test::PostgresRequired())                                                 \
    GTEST_FAIL() << "WARDEN_TEST_POSTGRES is not set (scripts/test.sh starts a test server); "   \
                    "WARDEN_REQUIRE_SHARED or WARDEN_REQUIRE_POSTGRES makes that a failure";     \
  else                                                                                           \
    GTEST_SKIP() << "no PostgreSQL test server: set WARDEN_TEST_POSTGRES "                       \
                    "(scripts/postgres-test-server.sh start DIR prints it)"
