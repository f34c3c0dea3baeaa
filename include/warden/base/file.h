// Whole-file helpers over Env::Default() (env.h, the seam every file access goes through), the
// read-only memory map, and a bounds-checked reader of binary formats. Code that a test must be
// able to fail (logs, checkpoints) takes an Env* and calls it directly instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "warden/base/status.h"

namespace warden {

// A read-only view of a whole file, memory-mapped (empty files are valid and have size 0).
// It maps the file with mmap directly, not through an Env: weights are read, never written.
// The mapping lives as long as the MappedFile; spans handed out must not outlive it.
// Thread-safe for concurrent reads.
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

// These four are Env::Default()'s methods of the same names (errors as documented in env.h:
// "cannot open <path>: No such file or directory").
Result<std::string> ReadFileToString(const std::string& path);
// Writes to "<path>.tmp", syncs, then renames over `path`, so readers never see a half-written file.
Status WriteFileAtomic(const std::string& path, std::string_view contents);
bool FileExists(const std::string& path);   // anything at `path`, following symlinks
bool IsDirectory(const std::string& path);  // a directory, or a symlink to one

// Bounds-checked little-endian reader over a byte span. Every read that would run past the end
// returns an error naming `what` and the byte offset, never reads out of bounds.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string source)
      : data_(data), size_(size), source_(std::move(source)) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  const uint8_t* cursor() const { return data_ + pos_; }

  Result<uint8_t> U8(const char* what);
  Result<uint32_t> U32(const char* what);
  Result<int32_t> I32(const char* what);
  Result<uint64_t> U64(const char* what);
  Result<float> F32(const char* what);
  // Reads exactly n raw bytes.
  Result<std::string_view> Bytes(size_t n, const char* what);
  Status Skip(size_t n, const char* what);
  Status Seek(size_t offset, const char* what);

  // "<source>: <what> at byte <offset>: <problem>"
  Status Error(const char* what, const std::string& problem) const;

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string source_;
};

}  // namespace warden
