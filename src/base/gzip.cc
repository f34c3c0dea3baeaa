#include "warden/base/gzip.h"

#include <zlib.h>

#include "warden/base/file.h"

namespace warden {

bool LooksGzipped(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view compressed, const std::string& source, size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return Status::Internal(source + ": zlib inflateInit2 failed");
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      return Status::InvalidArgument(source + ": inflates to more than " + std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);  // another gzip member follows
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) rc = Z_DATA_ERROR;  // input ended mid-stream
    if (rc != Z_OK) {
      const size_t at = compressed.size() - z.avail_in;
      const std::string why = z.msg != nullptr ? z.msg : (rc == Z_DATA_ERROR ? "truncated stream" : "inflate error");
      inflateEnd(&z);
      return Status::Corrupt(source + ": gzip data corrupt at compressed byte " + std::to_string(at) + ": " + why);
    }
  }
  inflateEnd(&z);
  return out;
}

Result<std::string> ReadMaybeGzipped(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  if (!LooksGzipped(bytes)) return bytes;
  return Gunzip(bytes, path);
}

}  // namespace warden
