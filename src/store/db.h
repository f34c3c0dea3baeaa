// Internal to store: the open database behind a Store, shared by store.cc, review.cc and users.cc.
#pragma once

#include <memory>
#include <mutex>

#include "store/database.h"
#include "warden/store/store.h"

namespace warden::store {

struct Store::Db {
  std::unique_ptr<internal::Database> sql;
  mutable std::mutex mu;  // one call at a time on this connection

  // Runs `body` inside BeginWrite/Commit; any error rolls the transaction back.
  template <typename Body>
  Status InWrite(Body&& body) {
    WARDEN_RETURN_IF_ERROR(sql->BeginWrite());
    Status s = body();
    if (s.ok()) s = sql->Commit();
    if (!s.ok()) sql->Rollback();
    return s;
  }
};

}  // namespace warden::store
