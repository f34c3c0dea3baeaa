// Ed25519 key pairs on disk (libsodium).
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hex.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/casebook/signoff.h"

namespace warden::casebook {
namespace {

using Json = nlohmann::json;

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

}  // namespace

KeyPair GenerateKeyPair() {
  if (sodium_init() < 0) throw Error(Status::Internal("libsodium failed to initialise"));
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  KeyPair kp{ToHex(pk, sizeof pk), ToHex(sk, sizeof sk)};
  sodium_memzero(sk, sizeof sk);
  return kp;
}

Result<KeyPair> WriteKeyPair(const std::string& prefix) {
  if (prefix.empty()) return Status::InvalidArgument("key name is empty");
  const std::string key_path = prefix + ".key", pub_path = prefix + ".pub";
  if (FileExists(pub_path)) return Status::InvalidArgument(pub_path + ": already exists; refusing to overwrite a key");
  KeyPair kp = GenerateKeyPair();
  const Json secret = {{"format", "warden-ed25519-secret-key/1"}, {"public_key", kp.public_key_hex},
                       {"secret_key", kp.secret_key_hex}};
  WARDEN_RETURN_IF_ERROR(WriteExclusive(key_path, secret.dump(2) + "\n", 0600));
  const Json pub = {{"format", "warden-ed25519-public-key/1"}, {"public_key", kp.public_key_hex}};
  WARDEN_RETURN_IF_ERROR(WriteExclusive(pub_path, pub.dump(2) + "\n", 0644));
  return kp;
}

Result<KeyPair> LoadSecretKey(const std::string& path) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(text, path));
  if (!j.is_object()) return Status::Corrupt(path + ": expected a JSON object (a warden .key file)");
  std::string format;
  KeyPair kp;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "format", path, &format));
  if (format != "warden-ed25519-secret-key/1") {
    return Status::Corrupt(path + ": format '" + format + "' is not a warden secret key (a .pub file?)");
  }
  WARDEN_RETURN_IF_ERROR(JsonString(j, "public_key", path, &kp.public_key_hex));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "secret_key", path, &kp.secret_key_hex));
  std::string sk, pk;
  if (!FromHex(kp.secret_key_hex, crypto_sign_SECRETKEYBYTES, &sk)) {
    return Status::Corrupt(path + ": secret_key: expected " + std::to_string(2 * crypto_sign_SECRETKEYBYTES) + " hex digits");
  }
  if (!FromHex(kp.public_key_hex, crypto_sign_PUBLICKEYBYTES, &pk)) {
    return Status::Corrupt(path + ": public_key: expected " + std::to_string(2 * crypto_sign_PUBLICKEYBYTES) + " hex digits");
  }
  // The public key is derived again from the seed, so a doctored public_key is caught here.
  unsigned char derived_pk[crypto_sign_PUBLICKEYBYTES], derived_sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(derived_pk, derived_sk, reinterpret_cast<const unsigned char*>(sk.data()));
  const bool match = std::memcmp(derived_pk, pk.data(), sizeof derived_pk) == 0 &&
                     std::memcmp(derived_sk, sk.data(), sizeof derived_sk) == 0;
  sodium_memzero(derived_sk, sizeof derived_sk);
  sodium_memzero(sk.data(), sk.size());
  if (!match) return Status::Corrupt(path + ": public_key does not belong to secret_key");
  return kp;
}

}  // namespace warden::casebook
