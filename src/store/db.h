// Internal to store: the open database behind a Store, shared by store.cc and review.cc.
#pragma once

#include <mutex>

#include "store/sqlite.h"
#include "warden/store/store.h"

namespace warden::store {

struct Store::Db {
  sqlite3* db = nullptr;
  mutable std::mutex mu;  // one call at a time on this connection
  ~Db() { sqlite3_close_v2(db); }
};

}  // namespace warden::store
