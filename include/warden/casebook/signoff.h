// Sign-off of a safety case by three roles, the three lines of defence: the author who built the
// case, the stress-tester who attacked it, and the adjudicator who accepts it. Ed25519
// (libsodium crypto_sign_*).
//
// What is signed. For each role a statement
//   {"format":"warden-case-signoff/1", "role":..., "case_id":..., "case_sha256": CaseSha256(case),
//    "evidence":[{"node":..., "path":..., "sha256": <the artifact's sha256 on disk now>}, ...]}
// (evidence sorted by node id) is serialised compactly; its sha256 (hex, 64 characters) is the
// message signed. So a sign-off covers what the case says (not its bytes: re-indenting the YAML
// keeps it) and every artifact it cites; any change to either invalidates it. The role is inside
// the statement, so a signature cannot be moved to another role.
//
// Where signatures live: a sidecar file CASE.signatures.json (SignaturesPath):
//   {"format":"warden-case-signatures/1", "signatures":[{"role","signer","public_key" (hex),
//    "signature" (hex), "signed_hash", "case_sha256", "evidence":[...], "time" (UTC ISO 8601)}]}
//
// Keys: NAME.key / NAME.pub as written by warden::WriteKeyPair (base/crypto.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/base/crypto.h"
#include "warden/base/status.h"
#include "warden/casebook/safety_case.h"

namespace warden::casebook {

enum class Role { kAuthor, kStressTester, kAdjudicator };
const char* RoleName(Role role);  // "author", "stress-tester", "adjudicator"
Result<Role> RoleFromName(const std::string& name);
inline constexpr Role kAllRoles[] = {Role::kAuthor, Role::kStressTester, Role::kAdjudicator};

// Keys: warden::WriteKeyPair / LoadSecretKey (base/crypto.h).

// `<case_path>.signatures.json`.
std::string SignaturesPath(const std::string& case_path);

struct SignatureEntry {
  std::string role;
  std::string signer;
  std::string public_key;   // hex
  std::string signature;    // hex, 128 digits
  std::string signed_hash;  // hex sha256 of the statement
  std::string case_sha256;
  nlohmann::json evidence = nlohmann::json::array();  // [{"node","path","sha256"}] at signing
  std::string time;
};

// The statement `role` signs for the case as it is now (evidence hashed from base_dir; an
// artifact that cannot be hashed gets sha256 "").
nlohmann::json SignoffStatement(const SafetyCase& c, const std::string& base_dir, Role role);

// Signs the case at `case_path` as `role` with the key in `key_path`, appending to the sidecar.
// Refused (InvalidArgument, sidecar untouched) when: the case is structurally invalid; any
// evidence artifact is missing or differs from the sha256 the case pins; `role` has already
// signed; or this public key already signed another role. `time` "" means now.
Result<SignatureEntry> SignCase(const std::string& case_path, Role role, const std::string& key_path,
                                const std::string& signer, const std::string& time = "");

struct SignatureCheck {
  SignatureEntry entry;
  bool valid = false;  // the signature verifies over the statement for the case as it is now
  std::string reason;  // why not; "" when valid
};

struct SignatureReport {
  std::string case_sha256;              // of the case as it is now
  std::vector<SignatureCheck> signatures;  // in sidecar order
  std::vector<std::string> problems;    // every failure, one line each (incl. invalid signatures)
  bool ok() const { return problems.empty(); }
};

// Re-hashes the case and its evidence and checks: the sidecar exists and is well-formed; every
// signature verifies over the current statement (reasons: case changed, evidence changed or
// vanished, forged/corrupted signature, recorded hash inconsistent with its statement); each of
// the three roles signed exactly once; no public key signed two roles; every evidence artifact
// still matches the sha256 the case pins. Problems land in the report; the Status is an error
// only when the case itself cannot be loaded or the sidecar is malformed.
Result<SignatureReport> VerifySignatures(const std::string& case_path);

nlohmann::json ToJson(const SignatureReport& r);

}  // namespace warden::casebook
