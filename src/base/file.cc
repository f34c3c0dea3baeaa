#include "warden/base/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "warden/base/env.h"

namespace warden {

Result<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IoError(path + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      return Status::IoError(path + ": cannot map: " + std::strerror(errno));
    }
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return std::unique_ptr<MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Result<std::string> ReadFileToString(const std::string& path) { return Env::Default()->ReadFile(path); }

Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  return Env::Default()->WriteFileAtomic(path, contents);
}

bool FileExists(const std::string& path) { return Env::Default()->FileExists(path); }

bool IsDirectory(const std::string& path) { return Env::Default()->IsDirectory(path); }

Status ByteReader::Error(const char* what, const std::string& problem) const {
  return Status::Corrupt(source_ + ": " + what + " at byte " + std::to_string(pos_) + ": " + problem);
}

Result<std::string_view> ByteReader::Bytes(size_t n, const char* what) {
  if (n > remaining()) {
    return Error(what, "needs " + std::to_string(n) + " bytes but only " +
                           std::to_string(remaining()) + " remain (truncated file?)");
  }
  std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
  pos_ += n;
  return out;
}

Status ByteReader::Skip(size_t n, const char* what) { return Bytes(n, what).status(); }

Status ByteReader::Seek(size_t offset, const char* what) {
  if (offset > size_) {
    return Error(what, "offset " + std::to_string(offset) + " is past the end (" +
                           std::to_string(size_) + " bytes)");
  }
  pos_ = offset;
  return Status::Ok();
}

namespace {
template <class T>
Result<T> ReadLe(ByteReader& r, const char* what) {
  WARDEN_ASSIGN_OR_RETURN(std::string_view b, r.Bytes(sizeof(T), what));
  T v;
  std::memcpy(&v, b.data(), sizeof(T));  // x86-64 and aarch64 are little-endian
  return v;
}
}  // namespace

Result<uint8_t> ByteReader::U8(const char* what) { return ReadLe<uint8_t>(*this, what); }
Result<uint32_t> ByteReader::U32(const char* what) { return ReadLe<uint32_t>(*this, what); }
Result<int32_t> ByteReader::I32(const char* what) { return ReadLe<int32_t>(*this, what); }
Result<uint64_t> ByteReader::U64(const char* what) { return ReadLe<uint64_t>(*this, what); }
Result<float> ByteReader::F32(const char* what) { return ReadLe<float>(*this, what); }

}  // namespace warden
