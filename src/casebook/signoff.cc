// Sign-off by roles: statements, signing, the sidecar, verification.
#include "warden/casebook/signoff.h"


#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "warden/base/clock.h"
#include "warden/base/crypto.h"
#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"
#include "warden/casebook/evaluate.h"

namespace warden::casebook {
namespace {

using Json = nlohmann::json;

constexpr const char* kSidecarFormat = "warden-case-signatures/1";


std::string Short(const std::string& hex) { return hex.size() > 12 ? hex.substr(0, 12) + ".." : hex; }

Json EntryToJson(const SignatureEntry& s) {
  return {{"role", s.role},          {"signer", s.signer},           {"public_key", s.public_key},
          {"signature", s.signature}, {"signed_hash", s.signed_hash}, {"case_sha256", s.case_sha256},
          {"evidence", s.evidence},   {"time", s.time}};
}

// The statement an entry claims it signed, rebuilt from its own recorded fields.
Json RecordedStatement(const SignatureEntry& s, const std::string& case_id) {
  return {{"format", "warden-case-signoff/1"}, {"role", s.role},         {"case_id", case_id},
          {"case_sha256", s.case_sha256},      {"evidence", s.evidence}};
}

Result<std::vector<SignatureEntry>> ReadSidecar(const std::string& path) {
  std::vector<SignatureEntry> out;
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(text, path));
  if (!j.is_object()) return Status::Corrupt(path + ": expected a JSON object");
  std::string format;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "format", path, &format));
  if (format != kSidecarFormat) return Status::Corrupt(path + ": format '" + format + "', expected " + kSidecarFormat);
  if (!j.contains("signatures") || !j["signatures"].is_array()) {
    return Status::Corrupt(path + ": signatures: missing or not a list");
  }
  const Json& list = j["signatures"];
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = path + ": signatures[" + std::to_string(i) + "]";
    const Json& e = list[i];
    if (!e.is_object()) return Status::Corrupt(where + ": expected an object");
    SignatureEntry s;
    WARDEN_RETURN_IF_ERROR(JsonString(e, "role", where, &s.role));
    WARDEN_RETURN_IF_ERROR(JsonString(e, "signer", where, &s.signer));
    WARDEN_RETURN_IF_ERROR(JsonString(e, "public_key", where, &s.public_key));
    WARDEN_RETURN_IF_ERROR(JsonString(e, "signature", where, &s.signature));
    WARDEN_RETURN_IF_ERROR(JsonString(e, "signed_hash", where, &s.signed_hash));
    WARDEN_RETURN_IF_ERROR(JsonString(e, "case_sha256", where, &s.case_sha256));
    WARDEN_RETURN_IF_ERROR(JsonString(e, "time", where, &s.time));
    if (!e.contains("evidence") || !e["evidence"].is_array()) return Status::Corrupt(where + ": evidence: missing or not a list");
    for (const Json& ev : e["evidence"]) {
      if (!ev.is_object() || !ev.contains("node") || !ev["node"].is_string() || !ev.contains("path") ||
          !ev["path"].is_string() || !ev.contains("sha256") || !ev["sha256"].is_string()) {
        return Status::Corrupt(where + ": evidence: each entry needs string node, path and sha256");
      }
    }
    s.evidence = e["evidence"];
    out.push_back(std::move(s));
  }
  return out;
}

Status WriteSidecar(const std::string& path, const std::vector<SignatureEntry>& entries) {
  Json list = Json::array();
  for (const auto& s : entries) list.push_back(EntryToJson(s));
  const Json j = {{"format", kSidecarFormat}, {"signatures", std::move(list)}};
  return WriteFileAtomic(path, j.dump(2) + "\n");
}

// Checks one entry against the statement for the case as it is now.
SignatureCheck CheckEntry(const SignatureEntry& s, const SafetyCase& c, const std::string& base_dir,
                          const std::string& case_sha) {
  SignatureCheck chk{s, false, ""};
  auto role = RoleFromName(s.role);
  if (!role.ok()) {
    chk.reason = "unknown role '" + s.role + "'";
    return chk;
  }
  if (!HexDecode(s.public_key, kEd25519PublicKeyBytes, "public_key").ok()) {
    chk.reason = "public_key is not " + std::to_string(2 * kEd25519PublicKeyBytes) + " hex digits";
    return chk;
  }
  if (!HexDecode(s.signature, kEd25519SignatureBytes, "signature").ok()) {
    chk.reason = "signature is not " + std::to_string(2 * kEd25519SignatureBytes) + " hex digits";
    return chk;
  }
  const Json now = SignoffStatement(c, base_dir, *role);
  const std::string now_hash = CanonicalSha256((now));
  auto verifies = [&](const std::string& hash) { return Ed25519Verify(hash, s.signature, s.public_key); };
  if (verifies(now_hash)) {
    chk.valid = true;
    if (s.signed_hash != now_hash) {
      // The signature is good for the case as it is; only the recorded copy of the hash is off.
      chk.valid = false;
      chk.reason = "wrong hash: the recorded signed_hash " + Short(s.signed_hash) + " is not the hash signed (" +
                   Short(now_hash) + ")";
    }
    return chk;
  }
  // Not valid for the case as it is now: say why, as precisely as the record allows.
  const std::string recorded_hash = CanonicalSha256((RecordedStatement(s, c.info.id)));
  if (recorded_hash != s.signed_hash) {
    chk.reason = "wrong hash: signed_hash " + Short(s.signed_hash) + " does not match the recorded statement (" +
                 Short(recorded_hash) + ")";
    return chk;
  }
  if (!verifies(s.signed_hash)) {
    chk.reason = "forged or corrupted signature: it does not verify with public key " + Short(s.public_key);
    return chk;
  }
  std::vector<std::string> changes;
  if (s.case_sha256 != case_sha) {
    changes.push_back("the case changed since signing (canonical sha256 " + Short(s.case_sha256) + " then, " +
                      Short(case_sha) + " now)");
  }
  std::map<std::string, std::string> then, current;
  for (const Json& ev : s.evidence) then[ev["node"].get<std::string>()] = ev["sha256"].get<std::string>();
  for (const Json& ev : now["evidence"]) current[ev["node"].get<std::string>()] = ev["sha256"].get<std::string>();
  for (const auto& [node, sha] : current) {
    auto it = then.find(node);
    if (it == then.end()) {
      changes.push_back("evidence " + node + " was added since signing");
    } else if (sha.empty()) {
      changes.push_back("evidence " + node + " vanished since signing");
    } else if (it->second != sha) {
      changes.push_back("evidence " + node + " was tampered with since signing (sha256 " + Short(it->second) +
                        " then, " + Short(sha) + " now)");
    }
  }
  for (const auto& [node, sha] : then) {
    if (!current.count(node)) changes.push_back("evidence " + node + " was removed since signing");
  }
  if (changes.empty()) changes.push_back("the signed statement differs from the case as it is now");
  chk.reason = changes[0];
  for (size_t i = 1; i < changes.size(); ++i) chk.reason += "; " + changes[i];
  return chk;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAuthor: return "author";
    case Role::kStressTester: return "stress-tester";
    case Role::kAdjudicator: return "adjudicator";
  }
  return "?";
}

Result<Role> RoleFromName(const std::string& name) {
  for (Role r : kAllRoles) {
    if (name == RoleName(r)) return r;
  }
  return Status::InvalidArgument("unknown role '" + name + "' (expected author, stress-tester or adjudicator)");
}

std::string SignaturesPath(const std::string& case_path) { return case_path + ".signatures.json"; }

Json SignoffStatement(const SafetyCase& c, const std::string& base_dir, Role role) {
  std::vector<const Node*> solutions;
  for (const Node& n : c.nodes) {
    if (n.type == NodeType::kSolution && n.has_evidence) solutions.push_back(&n);
  }
  std::stable_sort(solutions.begin(), solutions.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  Json evidence = Json::array();
  for (const Node* n : solutions) {
    const std::string path = (std::filesystem::path(base_dir) / n->evidence.path).string();
    std::string sha;
    if (Result<FileInfo> info = Env::Default()->Stat(path); info.ok() && info->type == FileType::kRegular) {
      auto h = Sha256File(path);
      if (h.ok()) sha = *h;
    }
    evidence.push_back({{"node", n->id}, {"path", n->evidence.path}, {"sha256", sha}});
  }
  return {{"format", "warden-case-signoff/1"}, {"role", RoleName(role)},    {"case_id", c.info.id},
          {"case_sha256", CaseSha256(c)},      {"evidence", std::move(evidence)}};
}

Result<SignatureEntry> SignCase(const std::string& case_path, Role role, const std::string& key_path,
                                const std::string& signer, const std::string& time) {
  WARDEN_ASSIGN_OR_RETURN(SafetyCase c, LoadCase(case_path));
  const std::string base_dir = CaseBaseDir(case_path);
  WARDEN_ASSIGN_OR_RETURN(CaseEvaluation e, EvaluateCase(c, base_dir));
  if (!e.valid()) {
    return Status::InvalidArgument(case_path + ": refusing to sign a structurally invalid case: " + e.errors[0] +
                                   (e.errors.size() > 1 ? " (and " + std::to_string(e.errors.size() - 1) + " more)" : ""));
  }
  for (const EvidenceCheck& ev : e.evidence) {
    if (ev.state == EvidenceState::kMissing || ev.state == EvidenceState::kChanged ||
        ev.actual_sha256.empty()) {
      return Status::InvalidArgument(case_path + ": refusing to sign: " + ev.reason);
    }
  }
  WARDEN_ASSIGN_OR_RETURN(Ed25519KeyPair key, LoadSecretKey(key_path));
  const std::string sidecar = SignaturesPath(case_path);
  std::vector<SignatureEntry> entries;
  if (FileExists(sidecar)) {
    WARDEN_ASSIGN_OR_RETURN(entries, ReadSidecar(sidecar));
  }
  for (const auto& s : entries) {
    if (s.role == RoleName(role)) {
      return Status::InvalidArgument(sidecar + ": role " + s.role + " has already signed (" + s.signer +
                                     "); a role signs once");
    }
    if (s.public_key == key.public_key_hex) {
      return Status::InvalidArgument(key_path + ": this key already signed as " + s.role +
                                     "; one key cannot sign two roles (the lines of defence must be independent)");
    }
  }
  const Json statement = SignoffStatement(c, base_dir, role);
  SignatureEntry s;
  s.role = RoleName(role);
  s.signer = signer;
  s.public_key = key.public_key_hex;
  s.signed_hash = CanonicalSha256((statement));
  s.case_sha256 = statement["case_sha256"].get<std::string>();
  s.evidence = statement["evidence"];
  s.time = time.empty() ? UtcNow() : time;
  WARDEN_ASSIGN_OR_RETURN(s.signature, Ed25519Sign(s.signed_hash, key));
  entries.push_back(s);
  WARDEN_RETURN_IF_ERROR(WriteSidecar(sidecar, entries));
  return s;
}

Result<SignatureReport> VerifySignatures(const std::string& case_path) {
  WARDEN_ASSIGN_OR_RETURN(SafetyCase c, LoadCase(case_path));
  const std::string base_dir = CaseBaseDir(case_path);
  SignatureReport r;
  r.case_sha256 = CaseSha256(c);
  // Evidence must still be what the case pins, signed or not.
  auto e = EvaluateCase(c, base_dir);
  if (e.ok()) {
    for (const EvidenceCheck& ev : e->evidence) {
      if (ev.state == EvidenceState::kMissing || ev.state == EvidenceState::kChanged) {
        r.problems.push_back("tampered evidence: " + ev.reason);
      }
    }
  } else {
    r.problems.push_back(e.status().message());
  }
  const std::string sidecar = SignaturesPath(case_path);
  if (!FileExists(sidecar)) {
    r.problems.push_back(sidecar + ": no signatures (sign with `warden case sign`)");
    for (Role role : kAllRoles) r.problems.push_back(std::string("missing sign-off: ") + RoleName(role));
    return r;
  }
  WARDEN_ASSIGN_OR_RETURN(std::vector<SignatureEntry> entries, ReadSidecar(sidecar));
  std::map<std::string, int> role_count;
  std::map<std::string, std::set<std::string>> roles_of_key;
  for (const auto& s : entries) {
    SignatureCheck chk = CheckEntry(s, c, base_dir, r.case_sha256);
    if (!chk.valid) r.problems.push_back(s.role + " (" + s.signer + "): " + chk.reason);
    r.signatures.push_back(std::move(chk));
    ++role_count[s.role];
    roles_of_key[s.public_key].insert(s.role);
  }
  for (const auto& [role, n] : role_count) {
    if (n > 1) r.problems.push_back("role " + role + " signed " + std::to_string(n) + " times; a role signs once");
  }
  for (const auto& [key, roles] : roles_of_key) {
    if (roles.size() > 1) {
      std::string list;
      for (const auto& role : roles) list += (list.empty() ? "" : ", ") + role;
      r.problems.push_back("same key signed two roles (" + list + "): public key " + Short(key));
    }
  }
  for (Role role : kAllRoles) {
    if (!role_count.count(RoleName(role))) r.problems.push_back(std::string("missing sign-off: ") + RoleName(role));
  }
  return r;
}

Json ToJson(const SignatureReport& r) {
  Json sigs = Json::array();
  for (const auto& s : r.signatures) {
    Json j = EntryToJson(s.entry);
    j["valid"] = s.valid;
    j["reason"] = s.reason;
    sigs.push_back(std::move(j));
  }
  return {{"ok", r.ok()}, {"case_sha256", r.case_sha256}, {"signatures", std::move(sigs)}, {"problems", r.problems}};
}

}  // namespace warden::casebook
