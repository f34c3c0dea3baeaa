#include "warden/base/sha256.h"

#include <sodium.h>

#include <memory>

#include "warden/base/crypto.h"
#include "warden/base/env.h"

namespace warden {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "state buffer too small");

namespace {
crypto_hash_sha256_state* State(unsigned char* buf) {
  return reinterpret_cast<crypto_hash_sha256_state*>(buf);
}
}  // namespace

Sha256::Sha256() {
  if (sodium_init() < 0) throw Error(Status::Internal("libsodium failed to initialise"));
  crypto_hash_sha256_init(State(state_));
}

void Sha256::Update(const void* data, size_t size) {
  crypto_hash_sha256_update(State(state_), static_cast<const unsigned char*>(data), size);
}

std::string Sha256::HexDigest() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(State(state_), digest);
  return HexEncode({reinterpret_cast<const char*>(digest), sizeof digest});
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return h.HexDigest();
}

Result<std::string> Sha256File(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> f, Env::Default()->NewSequentialFile(path));
  Sha256 h;
  std::string chunk;
  while (true) {
    WARDEN_RETURN_IF_ERROR(f->Read(1 << 20, &chunk));
    if (chunk.empty()) break;
    h.Update(chunk);
  }
  return h.HexDigest();
}

}  // namespace warden
