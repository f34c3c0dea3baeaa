// The POSIX Env (Env::Default()) and the Env methods built from the virtual ones.
#include "warden/base/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace warden {
namespace {

// `err` is taken by value before the message is built, so nothing can overwrite errno first.
Status PosixError(int err, const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(err));
}
// Returns PosixError for the current errno, read before the message is built.
#define WARDEN_RETURN_ERRNO(what)      \
  do {                                 \
    const int saved_errno_ = errno;    \
    return PosixError(saved_errno_, what); \
  } while (0)

// Reads from an open descriptor into *out, retrying interrupted reads. Returns errno or 0.
int ReadSome(int fd, size_t n, std::string* out) {
  out->resize(n);
  while (true) {
    const ssize_t got = ::read(fd, out->data(), n);
    if (got >= 0) {
      out->resize(static_cast<size_t>(got));
      return 0;
    }
    if (errno != EINTR) {
      out->clear();
      return errno;
    }
  }
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  Status Read(size_t n, std::string* out) override {
    const int err = ReadSome(fd_, n, out);
    return err == 0 ? Status::Ok() : PosixError(err, "cannot read " + path_);
  }

 private:
  std::string path_;
  int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::IoError("cannot write to " + path_ + ": file is closed");
    // write() may take fewer bytes than asked (a signal, a disk filling up): loop until all are
    // written or the kernel reports why not.
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        WARDEN_RETURN_ERRNO("cannot write to " + path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Flush() override {
    if (fd_ < 0) return Status::IoError("cannot write to " + path_ + ": file is closed");
    return Status::Ok();  // nothing is buffered in the process
  }
  Status Sync() override {
    if (fd_ < 0) return Status::IoError("cannot sync " + path_ + ": file is closed");
    if (::fsync(fd_) != 0) WARDEN_RETURN_ERRNO("cannot sync " + path_);
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) WARDEN_RETURN_ERRNO("cannot close " + path_);
    return Status::Ok();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

Result<FileInfo> StatOf(const std::string& path, bool follow) {
  struct stat st;
  if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) {
    const int err = errno;
    Status s = PosixError(err, "cannot stat " + path);
    if (err == ENOENT || err == ENOTDIR) return Status::NotFound(s.message());
    return s;
  }
  FileInfo info;
  info.type = TypeOf(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return info;
}

class PosixEnv final : public Env {
 public:
  Result<std::string> ReadFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) WARDEN_RETURN_ERRNO("cannot open " + path);
    std::string out, chunk;
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) out.reserve(static_cast<size_t>(st.st_size));
    while (true) {
      const int err = ReadSome(fd, 1 << 20, &chunk);
      if (err != 0) {
        ::close(fd);
        return PosixError(err, "cannot read " + path);
      }
      if (chunk.empty()) break;
      out += chunk;
    }
    ::close(fd);
    return out;
  }

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) WARDEN_RETURN_ERRNO("cannot open " + path);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd));
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) WARDEN_RETURN_ERRNO("cannot create " + path);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) WARDEN_RETURN_ERRNO("cannot open " + path + " to append");
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) WARDEN_RETURN_ERRNO("cannot truncate " + path);
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) WARDEN_RETURN_ERRNO("cannot rename " + from + " to " + to);
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) WARDEN_RETURN_ERRNO("cannot remove " + path);
    return Status::Ok();
  }

  Result<FileInfo> Stat(const std::string& path) override { return StatOf(path, /*follow=*/true); }
  Result<FileInfo> LinkStat(const std::string& path) override { return StatOf(path, /*follow=*/false); }

  Result<std::vector<DirEntry>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) WARDEN_RETURN_ERRNO("cannot list " + dir);
    std::vector<DirEntry> out;
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (e == nullptr) break;
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      FileType type = FileType::kOther;
      switch (e->d_type) {
        case DT_REG: type = FileType::kRegular; break;
        case DT_DIR: type = FileType::kDirectory; break;
        case DT_LNK: type = FileType::kSymlink; break;
        case DT_UNKNOWN: {  // some filesystems do not say: ask without following links
          struct stat st;
          if (::lstat((dir + "/" + name).c_str(), &st) == 0) type = TypeOf(st.st_mode);
          break;
        }
        default: break;
      }
      out.push_back({name, type});
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return PosixError(err, "cannot list " + dir);
    std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    return out;
  }

  Status CreateDirs(const std::string& dir) override {
    if (dir.empty()) return Status::IoError("cannot create an empty directory name");
    // Each prefix ending before a '/', then the whole path: "a/b/c" makes a, a/b, a/b/c.
    for (size_t at = dir.find('/', 1);; at = dir.find('/', at + 1)) {
      const std::string part = dir.substr(0, at);
      if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) WARDEN_RETURN_ERRNO("cannot create " + dir);
      if (at == std::string::npos) break;
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) WARDEN_RETURN_ERRNO("cannot create " + dir);
    if (!S_ISDIR(st.st_mode)) return PosixError(EEXIST, "cannot create " + dir);
    return Status::Ok();
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) WARDEN_RETURN_ERRNO("cannot remove " + dir);
    return Status::Ok();
  }

  int64_t NowUnixSeconds() override { return static_cast<int64_t>(std::time(nullptr)); }

  uint64_t NowMicros() override {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  }

  void RandomBytes(void* out, size_t n) override {
    // sodium_init is idempotent and thread-safe; it fails only if no entropy source exists,
    // which leaves nothing a caller could do.
    if (sodium_init() < 0) throw Error(Status::Internal("libsodium failed to initialise"));
    randombytes_buf(out, n);
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new PosixEnv;  // never destroyed: usable from static destructors
  return env;
}

Status Env::WriteFileAtomic(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  Status st;
  {
    auto f = NewWritableFile(tmp);
    if (!f.ok()) return f.status();
    st = (*f)->Append(contents);
    if (st.ok()) st = (*f)->Sync();
    Status closed = (*f)->Close();
    if (st.ok()) st = closed;
  }
  if (st.ok()) st = RenameFile(tmp, path);
  if (!st.ok()) (void)RemoveFile(tmp);  // best effort: the error that matters is `st`
  return st;
}

bool Env::FileExists(const std::string& path) { return Stat(path).ok(); }

bool Env::IsDirectory(const std::string& path) {
  auto info = Stat(path);
  return info.ok() && info->type == FileType::kDirectory;
}

Result<uint64_t> Env::GetFileSize(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(FileInfo info, Stat(path));
  return info.size;
}

Status Env::CopyFile(const std::string& from, const std::string& to) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> in, NewSequentialFile(from));
  const std::string tmp = to + ".tmp";
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, NewWritableFile(tmp));
  Status st;
  std::string chunk;
  while (st.ok()) {
    st = in->Read(1 << 20, &chunk);
    if (!st.ok() || chunk.empty()) break;
    st = out->Append(chunk);
  }
  if (st.ok()) st = out->Close();
  if (st.ok()) st = RenameFile(tmp, to);
  if (!st.ok()) {
    (void)out->Close();
    (void)RemoveFile(tmp);
  }
  return st;
}

Status Env::RemoveAll(const std::string& path) {
  auto info = LinkStat(path);  // a symlink to a directory is removed, what it points at is left
  if (!info.ok()) return info.status().code() == StatusCode::kNotFound ? Status::Ok() : info.status();
  if (info->type != FileType::kDirectory) return RemoveFile(path);
  WARDEN_ASSIGN_OR_RETURN(std::vector<DirEntry> children, ListDir(path));
  for (const DirEntry& e : children) {
    const std::string child = path + "/" + e.name;
    WARDEN_RETURN_IF_ERROR(e.type == FileType::kDirectory ? RemoveAll(child) : RemoveFile(child));
  }
  return RemoveDir(path);
}

}  // namespace warden
