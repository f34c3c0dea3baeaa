#include "warden/base/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testing/temp_dir.h"
#include "warden/base/file.h"

namespace warden {
namespace {

TEST(Hex, RoundTripsAndRejectsBadDigits) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(*HexDecode("00FF10", 3, "x"), std::string("\x00\xff\x10", 3));
  const auto short_hex = HexDecode("00ff1", 3, "key");
  ASSERT_FALSE(short_hex.ok());
  EXPECT_NE(short_hex.status().message().find("key: expected 6 hex digits"), std::string::npos);
  EXPECT_FALSE(HexDecode("00ffzz", 3, "x").ok());
}

TEST(CanonicalJson, IgnoresKeyOrderAndIndentation) {
  const auto a = nlohmann::json::parse(R"({"b": 1, "a": [1, 2]})");
  const auto b = nlohmann::json::parse("{\n  \"a\": [1,2],\n  \"b\": 1\n}");
  EXPECT_EQ(CanonicalJson(a), R"({"a":[1,2],"b":1})");
  EXPECT_EQ(CanonicalSha256(a), CanonicalSha256(b));
  EXPECT_EQ(CanonicalSha256(nlohmann::json::object()).size(), 64u);
}

TEST(Ed25519, SignsAndVerifies) {
  const Ed25519KeyPair kp = GenerateEd25519KeyPair();
  EXPECT_TRUE(CheckEd25519KeyPair(kp, "kp").ok());
  const std::string sig = Ed25519Sign("statement", kp).ValueOrThrow();
  EXPECT_EQ(sig.size(), 2 * kEd25519SignatureBytes);
  EXPECT_TRUE(Ed25519Verify("statement", sig, kp.public_key_hex));
  EXPECT_FALSE(Ed25519Verify("statemenT", sig, kp.public_key_hex));
  std::string forged = sig;
  forged[0] = forged[0] == '0' ? '1' : '0';
  EXPECT_FALSE(Ed25519Verify("statement", forged, kp.public_key_hex));
  EXPECT_FALSE(Ed25519Verify("statement", "zz", kp.public_key_hex));
  const Ed25519KeyPair other = GenerateEd25519KeyPair();
  EXPECT_FALSE(Ed25519Verify("statement", sig, other.public_key_hex));
  // A public half from another pair is caught.
  EXPECT_FALSE(CheckEd25519KeyPair({other.public_key_hex, kp.secret_key_hex}, "mixed").ok());
}

TEST(KeyFiles, WritesExclusivelyAndLoadsBack) {
  const test::TempDir tmp("crypto");
  const std::string& dir = tmp.path();
  const Ed25519KeyPair kp = WriteKeyPair(dir + "/alice").ValueOrThrow();
  struct stat st {};
  ASSERT_EQ(stat((dir + "/alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(LoadSecretKey(dir + "/alice.key")->secret_key_hex, kp.secret_key_hex);
  EXPECT_EQ(*LoadPublicKey(dir + "/alice.pub"), kp.public_key_hex);
  EXPECT_FALSE(WriteKeyPair(dir + "/alice").ok());
  EXPECT_FALSE(LoadSecretKey(dir + "/alice.pub").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/bad.pub", R"({"format":"warden-ed25519-public-key/1","public_key":"00"})").ok());
  const auto bad = LoadPublicKey(dir + "/bad.pub");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.pub: public_key"), std::string::npos);
}

}  // namespace
}  // namespace warden
