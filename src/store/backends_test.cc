// The same store on both back-ends (SQLite file, PostgreSQL server), and what only a shared
// server makes possible: two Stores (two gateways) appending to one chain, racing for one queue
// item, sharing a user's activity and a rate-limit bucket.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "testing/postgres.h"
#include "testing/temp_dir.h"
#include "warden/base/clock.h"
#include "warden/store/store.h"

namespace warden::store {
namespace {

enum class Backend { kSqlite, kPostgres };

class Backends : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      WARDEN_NEED_POSTGRES();
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::string db = "store_";
      for (char c : name) db += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
      where_ = test::FreshPostgresDatabase(db.substr(0, 60));
      ASSERT_FALSE(where_.empty());
    } else {
      where_ = dir_.path() + "/serve.db";
    }
  }

  std::unique_ptr<Store> Open() {
    auto s = Store::Open(where_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // Raw SQL behind the store's back (a tamperer with database access).
  void Raw(const std::string& sql) {
    if (GetParam() == Backend::kPostgres) {
      const std::string db = where_.substr(where_.rfind('/') + 1);
      ASSERT_EQ(test::PostgresExec(db, sql), "");
      return;
    }
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(where_.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
    sqlite3_close(h);
  }

  test::TempDir dir_;
  std::string where_;
};

DecisionRecord Rec(const std::string& prompt, const std::string& user = "") {
  DecisionRecord r;
  r.request_id = "chatcmpl-1";
  r.action = "allow";
  r.user = user;
  r.scores_json = R"({"input":{}})";
  r.prompt = prompt;
  r.response = "ok";
  return r;
}

TEST_P(Backends, KeepsEveryByteOfWhatItIsGiven) {
  auto s = Open();
  ASSERT_TRUE(s);
  // A NUL, a UTF-8 sequence cut in half (a cut stream can end there), quotes and a backslash.
  const std::string odd = std::string("a\0b", 3) + "\xe2\x82" + "'\"\\x00" + std::string(70000, 'z');
  DecisionRecord r = Rec(odd);
  r.response = "\xff\xfe";
  ASSERT_TRUE(s->Append(&r).ok());
  s.reset();
  auto again = Open();
  const DecisionRecord back = again->Record(1).value();
  EXPECT_EQ(back.prompt, odd);
  EXPECT_EQ(back.response, "\xff\xfe");
  EXPECT_EQ(again->Verify().value().first_bad, 0);
}

TEST_P(Backends, VerifyFindsAnEditAndADeletion) {
  auto s = Open();
  ASSERT_TRUE(s);
  for (int i = 0; i < 4; ++i) {
    DecisionRecord r = Rec("prompt " + std::to_string(i));
    ASSERT_TRUE(s->Append(&r).ok());
  }
  const bool pg = GetParam() == Backend::kPostgres;
  Raw(pg ? "UPDATE decisions SET prompt = convert_to('prompt X', 'UTF8') WHERE seq = 3"
         : "UPDATE decisions SET prompt = 'prompt X' WHERE seq = 3");
  auto v = s->Verify().value();
  EXPECT_EQ(v.first_bad, 3);
  EXPECT_NE(v.problem.find("edited"), std::string::npos);
  Raw(pg ? "UPDATE decisions SET prompt = convert_to('prompt 2', 'UTF8') WHERE seq = 3"
         : "UPDATE decisions SET prompt = 'prompt 2' WHERE seq = 3");
  EXPECT_EQ(s->Verify().value().first_bad, 0);
  Raw("DELETE FROM decisions WHERE seq = 2");
  v = s->Verify().value();
  EXPECT_EQ(v.first_bad, 3);
  EXPECT_NE(v.problem.find("missing"), std::string::npos);
}

// Two Stores on one database are two gateways: their appends interleave in one chain.
TEST_P(Backends, TwoWritersKeepOneChain) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Store* s = t % 2 ? b.get() : a.get();
      for (int i = 0; i < 25; ++i) {
        DecisionRecord r = Rec("t" + std::to_string(t) + " " + std::to_string(i));
        if (!s->Append(&r).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  const auto v = a->Verify().value();
  EXPECT_EQ(v.records, 100);
  EXPECT_EQ(v.first_bad, 0) << v.problem;
}

TEST_P(Backends, AQueueItemIsReviewedOnceAcrossWriters) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  for (double p : {0.5, 3.0, -1.0}) {
    DecisionRecord r = Rec("p");
    AuditItem item;
    item.priority = p;
    item.reason = p > 0 ? "risk" : "sample";
    item.inclusion = p > 0 ? 1.0 : 0.05;
    ASSERT_TRUE(a->Append(&r, &item).ok());
  }
  const std::vector<AuditItem> q = b->Queue().value();
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].seq, 2);
  EXPECT_DOUBLE_EQ(q[2].inclusion, 0.05);
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> reviewers;
  for (int i = 0; i < 6; ++i) {
    reviewers.emplace_back([&, i] {
      Verdict v{2, "rev" + std::to_string(i), "harmful", "S9", "", ""};
      const Status st = (i % 2 ? b : a)->SubmitVerdict(&v);
      (st.ok() ? ok : refused) += 1;
      if (!st.ok()) EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
    });
  }
  for (auto& t : reviewers) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 5);
  EXPECT_EQ(a->QueueCounts().value(), std::make_pair(int64_t{2}, int64_t{1}));
  EXPECT_EQ(b->Verdicts().value().size(), 1u);
}

TEST_P(Backends, AccountsAndKeysWork) {
  auto s = Open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->AddReviewer("alice", "correct horse battery").ok());
  EXPECT_EQ(s->AddReviewer("alice", "another long password").code(), StatusCode::kFailedPrecondition);
  auto [token, session] = s->Login("alice", "correct horse battery", 60).value();
  EXPECT_EQ(Open()->Session(token).value().csrf, session.csrf);
  auto [key, secret] = s->AddKey("ci", 30).value();
  EXPECT_EQ(Open()->Authenticate(secret).value().id, key.id);
  ASSERT_TRUE(s->RevokeKey(key.id).ok());
  EXPECT_EQ(s->Authenticate(secret).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s->RevokeKey("key_nope").code(), StatusCode::kNotFound);
}

TEST_P(Backends, AUsersActivityIsSummedOverEveryWriter) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  const double risks[] = {-5, -1.5, -0.5, 2.0, -9};
  for (int i = 0; i < 5; ++i) {
    DecisionRecord r = Rec("p", "u1");
    const UserEvent e{"key_1/u1", risks[i]};
    ASSERT_TRUE((i % 2 ? b : a)->Append(&r, nullptr, &e).ok());
  }
  DecisionRecord other = Rec("p", "u2");
  const UserEvent e2{"key_1/u2", 5.0};
  ASSERT_TRUE(a->Append(&other, nullptr, &e2).ok());
  const UserActivity act = b->Activity("key_1/u1", UnixNow() - 60, -2.0).value();
  EXPECT_EQ(act.requests, 5);
  EXPECT_EQ(act.watched, 3);  // -1.5, -0.5, 2.0
  EXPECT_DOUBLE_EQ(act.max_risk, 2.0);
  EXPECT_EQ(a->Activity("key_1/u1", UnixNow() + 60, -2.0).value().requests, 0);  // outside the window
  EXPECT_EQ(a->Activity("nobody", 0, -2.0).value().requests, 0);
}

TEST_P(Backends, ARateBucketIsSharedByEveryWriter) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  const double t0 = 1.0e9;
  // 6 per minute: a burst of 6, spread over both writers, then refusals with a wait.
  for (int i = 0; i < 6; ++i) EXPECT_EQ((i % 2 ? b : a)->TakeRateToken("key_1", 6, t0).value(), 0) << i;
  EXPECT_EQ(a->TakeRateToken("key_1", 6, t0).value(), 10);
  EXPECT_EQ(b->TakeRateToken("key_1", 6, t0 + 5).value(), 5);
  EXPECT_EQ(b->TakeRateToken("key_1", 6, t0 + 10).value(), 0);  // one token refilled in 10 s
  EXPECT_GT(a->TakeRateToken("key_1", 6, t0 + 10).value(), 0);
  EXPECT_EQ(a->TakeRateToken("key_2", 6, t0 + 10).value(), 0);  // another caller, its own bucket
  EXPECT_EQ(a->TakeRateToken("key_3", 0, t0).value(), 0);       // no limit
}

INSTANTIATE_TEST_SUITE_P(Store, Backends, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return info.param == Backend::kSqlite ? "Sqlite" : "Postgres"; });

TEST(PostgresStore, AnUnreachableServerIsAnErrorNamingItWithoutItsPassword) {
  auto s = Store::Open("postgresql://warden:hunter2@127.0.0.1:1/nothing?connect_timeout=2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("postgresql://warden:***@127.0.0.1:1/nothing"), std::string::npos)
      << s.status().message();
  EXPECT_EQ(s.status().message().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace warden::store
