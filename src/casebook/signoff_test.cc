#include <sys/stat.h>

#include <gtest/gtest.h>

#include "test_util.h"
#include "warden/base/json.h"
#include "warden/casebook/signoff.h"

namespace warden::casebook {
namespace {

using testing::TempDir;

std::string Problems(const SignatureReport& r) {
  std::string s;
  for (const auto& p : r.problems) s += p + "\n";
  return s;
}

bool HasProblem(const SignatureReport& r, const std::string& needle) {
  return Problems(r).find(needle) != std::string::npos;
}

// A case, its artifacts and three keys, one per role.
class SignoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteArtifacts(d_);
    d_.Write("case.yaml", testing::CaseYaml(d_));
    for (const char* who : {"alice", "bob", "carol"}) ASSERT_TRUE(WriteKeyPair(d_.Join(who)).ok());
  }
  std::string Case() const { return d_.Join("case.yaml"); }
  void SignAll() {
    ASSERT_TRUE(SignCase(Case(), Role::kAuthor, d_.Join("alice.key"), "Alice").ok());
    ASSERT_TRUE(SignCase(Case(), Role::kStressTester, d_.Join("bob.key"), "Bob").ok());
    ASSERT_TRUE(SignCase(Case(), Role::kAdjudicator, d_.Join("carol.key"), "Carol").ok());
  }
  SignatureReport Verify() const { return VerifySignatures(Case()).ValueOrThrow(); }

  // What SignCase refuses, done by hand: sign in a fresh sidecar, then merge the two files.
  void SignBehindTheBack(Role role, const std::string& key, const std::string& signer) {
    const std::string sidecar = SignaturesPath(Case());
    std::filesystem::rename(sidecar, sidecar + ".kept");
    ASSERT_TRUE(SignCase(Case(), role, d_.Join(key), signer).ok());
    nlohmann::json kept = ParseJson(ReadFileToString(sidecar + ".kept").ValueOrThrow(), "kept").ValueOrThrow();
    nlohmann::json added = ParseJson(ReadFileToString(sidecar).ValueOrThrow(), "added").ValueOrThrow();
    kept["signatures"].push_back(added["signatures"][0]);
    d_.Write("case.yaml.signatures.json", kept.dump(2));
  }
  void SignAll_WithAliceTwice() {
    ASSERT_TRUE(SignCase(Case(), Role::kStressTester, d_.Join("bob.key"), "Bob").ok());
    SignBehindTheBack(Role::kAdjudicator, "alice.key", "Alice");
  }
  void SignAll_DuplicateAuthor() { SignBehindTheBack(Role::kAuthor, "bob.key", "Bob"); }

  TempDir d_;
};

TEST_F(SignoffTest, KeysAreWrittenPrivatelyAndNeverOverwritten) {
  struct stat st;
  ASSERT_EQ(::stat(d_.Join("alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto kp = LoadSecretKey(d_.Join("alice.key"));
  ASSERT_TRUE(kp.ok()) << kp.status().ToString();
  EXPECT_EQ(kp->public_key_hex.size(), 64u);
  const std::string pub = ReadFileToString(d_.Join("alice.pub")).ValueOrThrow();
  EXPECT_NE(pub.find(kp->public_key_hex), std::string::npos);
  EXPECT_FALSE(WriteKeyPair(d_.Join("alice")).ok());
  EXPECT_FALSE(LoadSecretKey(d_.Join("alice.pub")).ok());
  // A key file whose public half was swapped for another's is caught.
  auto bob = LoadSecretKey(d_.Join("bob.key")).ValueOrThrow();
  d_.Write("mixed.key", nlohmann::json({{"format", "warden-ed25519-secret-key/1"}, {"public_key", bob.public_key_hex},
                                        {"secret_key", kp->secret_key_hex}}).dump());
  EXPECT_FALSE(LoadSecretKey(d_.Join("mixed.key")).ok());
}

TEST_F(SignoffTest, ThreeRolesVerify) {
  SignAll();
  const SignatureReport r = Verify();
  EXPECT_TRUE(r.ok()) << Problems(r);
  ASSERT_EQ(r.signatures.size(), 3u);
  for (const auto& s : r.signatures) EXPECT_TRUE(s.valid) << s.entry.role << ": " << s.reason;
  EXPECT_EQ(r.signatures[1].entry.role, "stress-tester");
  EXPECT_EQ(r.signatures[1].entry.signer, "Bob");
  EXPECT_EQ(r.case_sha256, CaseSha256(LoadCase(Case()).ValueOrThrow()));
  // Re-indenting the YAML and adding a comment changes no meaning: still valid.
  std::string yaml = ReadFileToString(Case()).ValueOrThrow();
  d_.Write("case.yaml", "# reviewed\n" + yaml);
  EXPECT_TRUE(Verify().ok()) << Problems(Verify());
}

TEST_F(SignoffTest, NoSignaturesMeansEveryRoleMissing) {
  const SignatureReport r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "missing sign-off: author"));
  EXPECT_TRUE(HasProblem(r, "missing sign-off: adjudicator"));
  ASSERT_TRUE(SignCase(Case(), Role::kAuthor, d_.Join("alice.key"), "Alice").ok());
  const SignatureReport r2 = Verify();
  EXPECT_FALSE(HasProblem(r2, "missing sign-off: author"));
  EXPECT_TRUE(HasProblem(r2, "missing sign-off: stress-tester"));
}

TEST_F(SignoffTest, TamperedEvidenceFails) {
  SignAll();
  d_.Write("notes.txt", "red-team notes: uplift found\n");
  const SignatureReport r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "tampered evidence: Sn3: evidence notes.txt: artifact changed")) << Problems(r);
  for (const auto& s : r.signatures) {
    EXPECT_FALSE(s.valid);
    EXPECT_NE(s.reason.find("evidence Sn3 was tampered with since signing"), std::string::npos) << s.reason;
  }
  std::filesystem::remove(d_.Join("notes.txt"));
  EXPECT_TRUE(HasProblem(Verify(), "evidence Sn3 vanished since signing"));
}

TEST_F(SignoffTest, EditedCaseFails) {
  SignAll();
  std::string yaml = ReadFileToString(Case()).ValueOrThrow();
  yaml.replace(yaml.find("M does not sandbag"), 18, "M does not sandbag much");
  d_.Write("case.yaml", yaml);
  const SignatureReport r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.signatures.size(), 3u);
  EXPECT_TRUE(HasProblem(r, "author (Alice): the case changed since signing")) << Problems(r);
}

TEST_F(SignoffTest, ForgedSignatureFails) {
  SignAll();
  const std::string sidecar = SignaturesPath(Case());
  nlohmann::json j = ParseJson(ReadFileToString(sidecar).ValueOrThrow(), sidecar).ValueOrThrow();
  std::string sig = j["signatures"][2]["signature"];
  sig[10] = sig[10] == '0' ? '1' : '0';  // flip bits of one byte
  j["signatures"][2]["signature"] = sig;
  d_.Write("case.yaml.signatures.json", j.dump(2));
  const SignatureReport r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.signatures[0].valid);
  EXPECT_FALSE(r.signatures[2].valid);
  EXPECT_TRUE(HasProblem(r, "adjudicator (Carol): forged or corrupted signature")) << Problems(r);

  // Claiming another hash was signed does not help either.
  j["signatures"][2]["signature"] = ParseJson(ReadFileToString(sidecar).ValueOrThrow(), sidecar)
                                        .ValueOrThrow()["signatures"][1]["signature"];
  j["signatures"][2]["signed_hash"] = std::string(64, 'f');
  d_.Write("case.yaml.signatures.json", j.dump(2));
  EXPECT_TRUE(HasProblem(Verify(), "adjudicator (Carol): wrong hash")) << Problems(Verify());
}

TEST_F(SignoffTest, SameKeyTwoRolesRejectedAtSignAndAtVerify) {
  ASSERT_TRUE(SignCase(Case(), Role::kAuthor, d_.Join("alice.key"), "Alice").ok());
  auto again = SignCase(Case(), Role::kAdjudicator, d_.Join("alice.key"), "Alice");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("one key cannot sign two roles"), std::string::npos);
  // Someone edits the sidecar by hand to do it anyway: verify catches it.
  SignAll_WithAliceTwice();
  const SignatureReport r = Verify();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "same key signed two roles (adjudicator, author)")) << Problems(r);
}

TEST_F(SignoffTest, DuplicatedRoleRejected) {
  ASSERT_TRUE(SignCase(Case(), Role::kAuthor, d_.Join("alice.key"), "Alice").ok());
  auto again = SignCase(Case(), Role::kAuthor, d_.Join("bob.key"), "Bob");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("role author has already signed"), std::string::npos);
  SignAll_DuplicateAuthor();
  EXPECT_TRUE(HasProblem(Verify(), "role author signed 2 times")) << Problems(Verify());
}

TEST_F(SignoffTest, RefusesToSignBrokenCases) {
  d_.Write("notes.txt", "changed before anyone signed\n");
  auto s = SignCase(Case(), Role::kAuthor, d_.Join("alice.key"), "Alice");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("refusing to sign: Sn3"), std::string::npos) << s.status().message();
  EXPECT_FALSE(FileExists(SignaturesPath(Case())));
  d_.Write("bad.yaml", "case: {id: c, title: t, version: '1'}\nnodes:\n  - {id: G1, type: goal, text: x}\n");
  EXPECT_FALSE(SignCase(d_.Join("bad.yaml"), Role::kAuthor, d_.Join("alice.key"), "Alice").ok());
  d_.Write("case.yaml.signatures.json", "{\"format\": \"warden-case-signatures/1\", \"signatures\": 3}");
  auto v = VerifySignatures(Case());
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("signatures: missing or not a list"), std::string::npos);
}

}  // namespace
}  // namespace warden::casebook
