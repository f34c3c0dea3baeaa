#include "warden/base/crypto.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"

namespace warden {
namespace {

using Json = nlohmann::json;

constexpr const char* kSecretFormat = "warden-ed25519-secret-key/1";
constexpr const char* kPublicFormat = "warden-ed25519-public-key/1";

void InitSodium() {
  if (sodium_init() < 0) throw Error(Status::Internal("libsodium failed to initialise"));
}

const unsigned char* Bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Status WriteExclusive(const std::string& path, const std::string& contents, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return Status::InvalidArgument(path + ": already exists; refusing to overwrite a key");
    return Status::IoError(path + ": cannot create: " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      return Status::IoError(path + ": write failed: " + err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::IoError(path + ": cannot finish writing: " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<Json> ReadKeyFile(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(text, path));
  if (!j.is_object()) return Status::Corrupt(path + ": expected a JSON object (a warden key file)");
  return j;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex, size_t size, const std::string& what) {
  auto bad = [&] {
    return Status::InvalidArgument(what + ": expected " + std::to_string(2 * size) + " hex digits, found " +
                                   std::to_string(hex.size()) + " characters" +
                                   (hex.size() == 2 * size ? " that are not all hex digits" : ""));
  };
  if (hex.size() != size * 2) return bad();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return bad();
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string CanonicalJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CanonicalSha256(const nlohmann::json& value) { return Sha256Hex(CanonicalJson(value)); }

Ed25519KeyPair GenerateEd25519KeyPair() {
  InitSodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  Ed25519KeyPair kp{HexEncode({reinterpret_cast<const char*>(pk), sizeof pk}),
                    HexEncode({reinterpret_cast<const char*>(sk), sizeof sk})};
  sodium_memzero(sk, sizeof sk);
  return kp;
}

Status CheckEd25519KeyPair(const Ed25519KeyPair& pair, const std::string& where) {
  InitSodium();
  auto sk = HexDecode(pair.secret_key_hex, kEd25519SecretKeyBytes, where + ": secret_key");
  if (!sk.ok()) return Status::Corrupt(sk.status().message());
  auto pk = HexDecode(pair.public_key_hex, kEd25519PublicKeyBytes, where + ": public_key");
  if (!pk.ok()) return Status::Corrupt(pk.status().message());
  unsigned char derived_pk[crypto_sign_PUBLICKEYBYTES], derived_sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(derived_pk, derived_sk, Bytes(*sk));
  const bool match = std::memcmp(derived_pk, pk->data(), sizeof derived_pk) == 0 &&
                     std::memcmp(derived_sk, sk->data(), sizeof derived_sk) == 0;
  sodium_memzero(derived_sk, sizeof derived_sk);
  sodium_memzero(sk->data(), sk->size());
  if (!match) return Status::Corrupt(where + ": public_key does not belong to secret_key");
  return Status::Ok();
}

Result<std::string> Ed25519Sign(std::string_view message, const Ed25519KeyPair& pair) {
  InitSodium();
  WARDEN_ASSIGN_OR_RETURN(std::string sk, HexDecode(pair.secret_key_hex, kEd25519SecretKeyBytes, "secret key"));
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(), Bytes(sk));
  sodium_memzero(sk.data(), sk.size());
  return HexEncode({reinterpret_cast<const char*>(sig), sizeof sig});
}

bool Ed25519Verify(std::string_view message, std::string_view signature_hex, std::string_view public_key_hex) {
  InitSodium();
  auto sig = HexDecode(signature_hex, kEd25519SignatureBytes, "signature");
  auto pk = HexDecode(public_key_hex, kEd25519PublicKeyBytes, "public key");
  if (!sig.ok() || !pk.ok()) return false;
  return crypto_sign_verify_detached(Bytes(*sig), reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), Bytes(*pk)) == 0;
}

Result<Ed25519KeyPair> WriteKeyPair(const std::string& prefix) {
  if (prefix.empty()) return Status::InvalidArgument("key name is empty");
  const std::string key_path = prefix + ".key", pub_path = prefix + ".pub";
  if (FileExists(pub_path)) return Status::InvalidArgument(pub_path + ": already exists; refusing to overwrite a key");
  Ed25519KeyPair kp = GenerateEd25519KeyPair();
  const Json secret = {{"format", kSecretFormat}, {"public_key", kp.public_key_hex}, {"secret_key", kp.secret_key_hex}};
  WARDEN_RETURN_IF_ERROR(WriteExclusive(key_path, secret.dump(2) + "\n", 0600));
  const Json pub = {{"format", kPublicFormat}, {"public_key", kp.public_key_hex}};
  WARDEN_RETURN_IF_ERROR(WriteExclusive(pub_path, pub.dump(2) + "\n", 0644));
  return kp;
}

Result<Ed25519KeyPair> LoadSecretKey(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(Json j, ReadKeyFile(path));
  std::string format;
  Ed25519KeyPair kp;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "format", path, &format));
  if (format != kSecretFormat) {
    return Status::Corrupt(path + ": format '" + format + "' is not a warden secret key (a .pub file?)");
  }
  WARDEN_RETURN_IF_ERROR(JsonString(j, "public_key", path, &kp.public_key_hex));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "secret_key", path, &kp.secret_key_hex));
  WARDEN_RETURN_IF_ERROR(CheckEd25519KeyPair(kp, path));
  return kp;
}

Result<std::string> LoadPublicKey(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(Json j, ReadKeyFile(path));
  std::string format, pk;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "format", path, &format));
  if (format != kPublicFormat && format != kSecretFormat) {
    return Status::Corrupt(path + ": format '" + format + "' is not a warden key");
  }
  WARDEN_RETURN_IF_ERROR(JsonString(j, "public_key", path, &pk));
  auto bytes = HexDecode(pk, kEd25519PublicKeyBytes, path + ": public_key");
  if (!bytes.ok()) return Status::Corrupt(bytes.status().message());
  return pk;
}

}  // namespace warden
