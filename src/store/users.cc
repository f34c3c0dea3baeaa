// Per-user state of the store (store.h): each user's risk events over time, and the rate-limit
// buckets, kept in the database so that every gateway on it sees the same numbers.
#include <algorithm>
#include <cmath>

#include "store/db.h"

namespace warden::store {

using internal::Rows;

Result<UserActivity> Store::Activity(const std::string& subject, int64_t since, double watch_risk) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT COUNT(*), COALESCE(SUM(CASE WHEN risk >= ? THEN 1 ELSE 0 END), 0), "
                                                   "COALESCE(MAX(risk), 0) FROM user_events WHERE subject = ? AND t >= ?",
                                                   {watch_risk, subject, since}));
  UserActivity a;
  if (rows.empty()) return a;
  a.requests = rows.Int(0, 0);
  a.watched = rows.Int(0, 1);
  a.max_risk = rows.Double(0, 2);
  return a;
}

Result<int> Store::TakeRateToken(const std::string& who, double rate_per_minute, double now) {
  if (rate_per_minute <= 0) return 0;
  // One statement, atomic on both back-ends: the bucket refilled since its last update (never
  // past `rate`), then one token taken when there is one. Every gateway updates the same row.
  const std::string elapsed = "(CASE WHEN excluded.updated > rate_buckets.updated THEN excluded.updated - rate_buckets.updated ELSE 0 END)";
  const std::string refill = "(rate_buckets.tokens + " + elapsed + " * excluded.rate / 60.0)";
  const std::string level = "(CASE WHEN " + refill + " > excluded.rate THEN excluded.rate ELSE " + refill + " END)";
  const std::string sql =
      "INSERT INTO rate_buckets(who, tokens, updated, rate, admitted) VALUES(?, ?, ?, ?, 1) "
      "ON CONFLICT(who) DO UPDATE SET tokens = CASE WHEN " + level + " >= 1 THEN " + level + " - 1 ELSE " + level + " END, "
      "admitted = CASE WHEN " + level + " >= 1 THEN 1 ELSE 0 END, "
      "updated = CASE WHEN excluded.updated > rate_buckets.updated THEN excluded.updated ELSE rate_buckets.updated END, "
      "rate = excluded.rate RETURNING tokens, admitted";
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run(sql, {who, rate_per_minute - 1, now, rate_per_minute}));
  if (rows.empty()) return Status::Internal(path_ + ": the rate-limit update returned no row");
  // Buckets idle for an hour have refilled completely: forget them now and then.
  if (++rate_takes_ % 1024 == 0) {
    WARDEN_RETURN_IF_ERROR(db_->sql->Run("DELETE FROM rate_buckets WHERE updated < ?", {now - 3600.0}).status());
  }
  if (rows.Int(0, 1) != 0) return 0;
  return std::max(1, static_cast<int>(std::ceil((1 - rows.Double(0, 0)) * 60.0 / rate_per_minute)));
}

}  // namespace warden::store
