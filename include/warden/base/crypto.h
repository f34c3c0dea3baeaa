// Signatures and content addresses (libsodium): Ed25519 keys and signatures, hex, and the
// canonical JSON form that warden hashes and signs.
//
// Keys on disk: NAME.key holds the Ed25519 secret key (libsodium's 64 bytes: seed || public key)
// and its public key as JSON, mode 0600, created exclusively so that a key is never overwritten;
// NAME.pub holds the 32-byte public key. Both in lower-case hex:
//   {"format":"warden-ed25519-secret-key/1","public_key":"<64 hex>","secret_key":"<128 hex>"}
//   {"format":"warden-ed25519-public-key/1","public_key":"<64 hex>"}
// Used by casebook (sign-off of safety cases) and vault (custodians' approvals).
// Thread-safe: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "warden/base/status.h"

namespace warden {

inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SecretKeyBytes = 64;
inline constexpr size_t kEd25519SignatureBytes = 64;

// ---- hex ----
// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// Decodes exactly `size` bytes of lower- or upper-case hex; InvalidArgument naming `what` on any
// other length or a non-hex digit ("<what>: expected 64 hex digits, found 63").
Result<std::string> HexDecode(std::string_view hex, size_t size, const std::string& what);

// ---- canonical JSON ----
// The form warden hashes and signs: compact (no white space), object keys in byte order (as
// nlohmann::json stores them), invalid UTF-8 replaced by U+FFFD. Two values that are equal as
// JSON have the same canonical text, whatever their indentation on disk.
std::string CanonicalJson(const nlohmann::json& value);
// Lower-case hex sha256 of CanonicalJson(value).
std::string CanonicalSha256(const nlohmann::json& value);

// ---- Ed25519 ----
struct Ed25519KeyPair {
  std::string public_key_hex;  // 64 hex digits
  std::string secret_key_hex;  // 128 hex digits (libsodium's seed || public key)
};

// A fresh random key pair (the OS's randomness, through libsodium).
Ed25519KeyPair GenerateEd25519KeyPair();

// Checks that both halves are well-formed hex of the right length and that the public key is the
// one derived from the secret key's seed (so a doctored public half is caught). Corrupt naming
// `where` otherwise.
Status CheckEd25519KeyPair(const Ed25519KeyPair& pair, const std::string& where);

// The detached signature (128 hex digits) of `message` under `pair`'s secret key. InvalidArgument
// when the secret key is not valid hex of the right length.
Result<std::string> Ed25519Sign(std::string_view message, const Ed25519KeyPair& pair);

// Whether `signature_hex` is a valid signature of `message` by `public_key_hex`. Malformed hex
// of either is simply not valid (false), never an exception.
bool Ed25519Verify(std::string_view message, std::string_view signature_hex, std::string_view public_key_hex);

// ---- key files ----
// Writes `<prefix>.key` and `<prefix>.pub` for a fresh pair; InvalidArgument when either exists.
Result<Ed25519KeyPair> WriteKeyPair(const std::string& prefix);
// Reads a `.key` file and checks it with CheckEd25519KeyPair.
Result<Ed25519KeyPair> LoadSecretKey(const std::string& path);
// Reads a `.pub` file (or the public half of a `.key` file): the public key's hex.
Result<std::string> LoadPublicKey(const std::string& path);

}  // namespace warden
