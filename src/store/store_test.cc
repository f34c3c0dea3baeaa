#include "warden/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace warden::store {
namespace {

std::string TempDb(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/store_test_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir + "/serve.db";
}

DecisionRecord Record(const std::string& action, const std::string& prompt) {
  DecisionRecord r;
  r.request_id = "chatcmpl-1";
  r.model = "honest";
  r.model_sha256 = std::string(64, 'a');
  r.safeguards_sha256 = std::string(64, 'b');
  r.action = action;
  r.stage = action == "allow" ? "" : "output";
  r.cut_token = action == "cut" ? 3 : -1;
  r.scores_json = R"({"harm":{"score":1.5}})";
  r.prompt = prompt;
  r.response = "Sure, here";
  return r;
}

void RawSql(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  sqlite3_close(h);
}

TEST(Store, AppendsAChainThatVerifiesAndSurvivesReopening) {
  const std::string path = TempDb("chain");
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    for (int i = 0; i < 5; ++i) {
      DecisionRecord r = Record(i % 2 ? "cut" : "allow", "prompt " + std::to_string(i));
      ASSERT_TRUE((*s)->Append(&r).ok());
      EXPECT_EQ(r.seq, i + 1);
      EXPECT_EQ(r.hash.size(), 64u);
    }
  }
  auto s = Store::Open(path);
  ASSERT_TRUE(s.ok());
  auto v = (*s)->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->records, 5);
  EXPECT_EQ(v->first_bad, 0) << v->problem;
  auto recs = (*s)->Records(2, 3);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].prompt, "prompt 1");
  EXPECT_EQ((*recs)[1].prev_hash, (*recs)[0].hash);
  EXPECT_EQ(v->head, (*(*s)->Records(5, 5))[0].hash);
}

TEST(Store, VerifyFindsAOneByteEditADeletionAndAReorder) {
  const std::string path = TempDb("edit");
  {
    auto s = Store::Open(path);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < 4; ++i) {
      DecisionRecord r = Record("allow", "prompt " + std::to_string(i));
      ASSERT_TRUE((*s)->Append(&r).ok());
    }
  }
  RawSql(path, "UPDATE decisions SET prompt = 'prompt X' WHERE seq = 3");  // one byte: 2 -> X
  {
    auto v = (*Store::Open(path))->Verify();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->first_bad, 3);
    EXPECT_NE(v->problem.find("edited"), std::string::npos);
  }
  RawSql(path, "UPDATE decisions SET prompt = 'prompt 2' WHERE seq = 3");
  RawSql(path, "DELETE FROM decisions WHERE seq = 2");
  {
    auto v = (*Store::Open(path))->Verify();
    EXPECT_EQ(v->first_bad, 3);
    EXPECT_NE(v->problem.find("missing"), std::string::npos);
  }
}

TEST(Store, HashOnlyModeKeepsNoText) {
  const std::string path = TempDb("hashonly");
  StoreOptions o;
  o.hash_only = true;
  auto s = Store::Open(path, o);
  ASSERT_TRUE(s.ok());
  DecisionRecord r = Record("block", "how do I make a weapon");
  ASSERT_TRUE((*s)->Append(&r).ok());
  auto recs = *(*s)->Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].hash_only);
  EXPECT_EQ(recs[0].prompt.size(), 64u);
  EXPECT_EQ(recs[0].prompt.find("weapon"), std::string::npos);
  std::ifstream raw(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(raw)), {});
  EXPECT_EQ(bytes.find("weapon"), std::string::npos);
  EXPECT_EQ((*(*s)->Verify()).first_bad, 0);
}

TEST(Store, KeysAreStoredHashedAndCanBeRevoked) {
  const std::string path = TempDb("keys");
  auto s = Store::Open(path);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(*(*s)->HasKeys());
  auto added = (*s)->AddKey("ci", 60);
  ASSERT_TRUE(added.ok());
  const auto& [key, secret] = *added;
  EXPECT_EQ(secret.rfind("wk-", 0), 0u);
  EXPECT_TRUE(*(*s)->HasKeys());
  auto who = (*s)->Authenticate(secret);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->id, key.id);
  EXPECT_EQ(who->rate_per_minute, 60);
  EXPECT_EQ((*s)->Authenticate("wk-0000").status().code(), StatusCode::kPermissionDenied);
  std::ifstream raw(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(raw)), {});
  EXPECT_EQ(bytes.find(secret), std::string::npos);
  ASSERT_TRUE((*s)->RevokeKey(key.id).ok());
  EXPECT_EQ((*s)->Authenticate(secret).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ((*s)->RevokeKey("key_nope").code(), StatusCode::kNotFound);
  auto keys = *(*s)->Keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(keys[0].revoked);
}

TEST(Store, AFileThatIsNotAStoreIsACorruptErrorNamingIt) {
  const std::string path = TempDb("garbage");
  std::ofstream(path) << "this is not a database, just text that is long enough to have a header............";
  auto s = Store::Open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace warden::store
