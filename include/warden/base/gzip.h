// Reading files that may be gzip-compressed (zlib), for datasets shipped as .jsonl.gz.
#pragma once

#include <string>
#include <string_view>

#include "warden/base/status.h"

namespace warden {

// True when `bytes` start with the gzip magic number (1f 8b).
bool LooksGzipped(std::string_view bytes);

// Inflates a whole gzip stream (several concatenated members allowed). A truncated or corrupt
// stream is a Corrupt error naming `source` and the compressed byte offset; output beyond
// `max_bytes` is an error too (a small file must not inflate into all of memory).
Result<std::string> Gunzip(std::string_view compressed, const std::string& source,
                           size_t max_bytes = size_t{4} << 30);

// The file's contents, inflated when it is gzip (by its magic number, not its name).
Result<std::string> ReadMaybeGzipped(const std::string& path);

}  // namespace warden
