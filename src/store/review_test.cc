// The review side of the store: the queue admitted with its record, verdicts given once,
// reviewer passwords and sessions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "warden/base/clock.h"
#include "warden/store/store.h"

namespace warden::store {
namespace {

std::unique_ptr<Store> Fresh(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/review_test_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return Store::Open(dir + "/serve.db").value();
}

DecisionRecord Rec(const std::string& action) {
  DecisionRecord r;
  r.request_id = "chatcmpl-x";
  r.action = action;
  r.prompt = "p";
  r.response = "r";
  return r;
}

TEST(ReviewStore, ItemsEnterWithTheirRecordAndComeOutByPriority) {
  auto s = Fresh("queue");
  for (double p : {0.5, 3.0, -1.0}) {
    DecisionRecord r = Rec("allow");
    AuditItem a;
    a.priority = p;
    a.reason = p > 0 ? "risk" : "sample";
    a.inclusion = p > 0 ? 1.0 : 0.05;
    ASSERT_TRUE(s->Append(&r, &a).ok());
    EXPECT_EQ(a.seq, r.seq);
    EXPECT_EQ(a.admitted, r.time);
  }
  DecisionRecord unqueued = Rec("allow");
  ASSERT_TRUE(s->Append(&unqueued).ok());
  std::vector<AuditItem> q = s->Queue().value();
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].seq, 2);
  EXPECT_EQ(q[1].seq, 1);
  EXPECT_EQ(q[2].seq, 3);
  EXPECT_DOUBLE_EQ(q[2].inclusion, 0.05);
  EXPECT_EQ(s->QueueItem(4).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s->Record(2).value().seq, 2);
  EXPECT_TRUE(s->Verify().value().first_bad == 0);
}

TEST(ReviewStore, AnItemIsReviewedOnceEvenWhenReviewersRace) {
  auto s = Fresh("once");
  DecisionRecord r = Rec("cut");
  AuditItem a;
  a.reason = "risk";
  ASSERT_TRUE(s->Append(&r, &a).ok());
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> reviewers;
  for (int i = 0; i < 4; ++i) {
    reviewers.emplace_back([&, i] {
      Verdict v{r.seq, "rev" + std::to_string(i), "harmful", "S9", "", ""};
      Status st = s->SubmitVerdict(&v);
      (st.ok() ? ok : refused) += 1;
      if (!st.ok()) EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
    });
  }
  for (auto& t : reviewers) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 3);
  EXPECT_TRUE(s->Queue().value().empty());
  EXPECT_EQ(s->QueueCounts().value(), std::make_pair(int64_t{0}, int64_t{1}));
  EXPECT_EQ(s->VerdictOn(r.seq).value()->label, "harmful");
  EXPECT_FALSE(s->VerdictOn(r.seq + 1).value().has_value());
  ASSERT_EQ(s->Verdicts().value().size(), 1u);
  EXPECT_EQ(s->Verdicts().value()[0].category, "S9");
}

TEST(ReviewStore, BadVerdictsAreErrorsNamingTheField) {
  auto s = Fresh("bad");
  DecisionRecord r = Rec("allow");
  AuditItem a;
  ASSERT_TRUE(s->Append(&r, &a).ok());
  auto expect = [&](Verdict v, const std::string& needle) {
    Status st = s->SubmitVerdict(&v);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  };
  expect({r.seq, "a", "maybe", "", "", ""}, "label");
  expect({r.seq, "a", "harmful", "S15", "", ""}, "category");
  expect({r.seq, "a", "harmful", "S01", "", ""}, "category");
  expect({r.seq, "a", "benign", "S2", "", ""}, "category");
  expect({r.seq, "a", "benign", "", std::string(5000, 'x'), ""}, "note");
  Verdict unknown{99, "a", "benign", "", "", ""};
  EXPECT_EQ(s->SubmitVerdict(&unknown).code(), StatusCode::kNotFound);
  EXPECT_EQ(s->Queue().value().size(), 1u);  // nothing was closed by a refused verdict
}

TEST(ReviewStore, PasswordsAreHashedAndSessionsExpire) {
  auto s = Fresh("accounts");
  EXPECT_EQ(s->AddReviewer("alice", "short").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->AddReviewer("al ice", "a long enough password").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(s->AddReviewer("alice", "correct horse battery").ok());
  EXPECT_EQ(s->AddReviewer("alice", "another long password").code(), StatusCode::kFailedPrecondition);
  // The files (the database and its write-ahead log) never hold the password.
  std::stringstream bytes;
  for (const std::string& file : {s->path(), s->path() + "-wal"}) {
    std::ifstream f(file, std::ios::binary);
    bytes << f.rdbuf();
  }
  EXPECT_EQ(bytes.str().find("correct horse battery"), std::string::npos);
  EXPECT_NE(bytes.str().find("$argon2id$"), std::string::npos);

  EXPECT_EQ(s->Login("alice", "wrong password!!", 60).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s->Login("bob", "correct horse battery", 60).status().code(), StatusCode::kPermissionDenied);
  auto [token, session] = s->Login("alice", "correct horse battery", 60).value();
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(session.csrf.size(), 64u);
  EXPECT_EQ(s->Session(token).value().reviewer, "alice");
  EXPECT_EQ(s->Session(token).value().csrf, session.csrf);
  EXPECT_EQ(s->Session("forged").status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(s->Logout(token).ok());
  EXPECT_EQ(s->Session(token).status().code(), StatusCode::kPermissionDenied);
  auto expired = s->Login("alice", "correct horse battery", 0).value();
  EXPECT_EQ(s->Session(expired.first).status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace warden::store
