// SHA-256 content addresses (libsodium). Hex digests are lower-case, 64 characters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "warden/base/status.h"

namespace warden {

// Incremental hasher: Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  std::string HexDigest();  // finalises; the object must not be updated afterwards

 private:
  alignas(16) unsigned char state_[128];  // crypto_hash_sha256_state, kept opaque here
};

std::string Sha256Hex(std::string_view bytes);

// Streams the file in 1 MiB chunks; memory stays bounded for multi-GB weights.
Result<std::string> Sha256File(const std::string& path);

}  // namespace warden
