// Env: the one seam between warden and the outside world (files, clock, randomness).
//
// Code that touches the filesystem or the clock takes an `Env*` (or uses Env::Default()), so a
// test can hand it another Env: FaultInjectionEnv (fault_env.h) fails writes as a full disk
// would, fails a rename, or freezes the clock. The model is leveldb's Env.
//
//   Env* env = Env::Default();
//   WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile("run.jsonl"));
//   WARDEN_RETURN_IF_ERROR(f->Append("{\"type\":\"header\"}\n"));
//   WARDEN_RETURN_IF_ERROR(f->Close());
//
// Errors. Every failure is a Status (never an exception, never errno), IoError unless stated,
// with a message that names the path and says what failed: "cannot <verb> <path>: <reason>",
// e.g. "cannot write to runs/a.jsonl: No space left on device". Callers may return it as is.
//
// Ownership. Env::Default() is process-wide and never destroyed; do not delete it. Files that an
// Env hands out are owned by the caller (unique_ptr) and must not outlive that Env.
//
// Thread-safety. Every Env method may be called from any number of threads at once. One file
// object (SequentialFile, WritableFile) is not thread-safe: one thread at a time per object.
//
// Not here: MappedFile (file.h) maps files directly, because an mmap'd model has no useful fault
// to inject; paths themselves are strings, split and joined by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"

namespace warden {

// Reads a file from start to end. Used for files too large to hold in memory (logs, weights).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Replaces *out with up to `n` next bytes; an empty *out means the end of the file.
  virtual Status Read(size_t n, std::string* out) = 0;
};

// An append-only file: logs streamed record by record.
//
// Append hands the bytes to the operating system before it returns (no buffer in the process),
// so a killed process loses nothing that Append accepted; Sync makes them durable against a
// power cut. When Append fails, a prefix of `data` may already be in the file (a disk that fills
// part-way through a write): the caller must treat the file's last bytes as possibly torn.
class WritableFile {
 public:
  // Closes the file if Close() was not called, ignoring any error (call Close() to see it).
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Pushes anything an implementation buffers to the operating system (a no-op for the
  // default Env, which buffers nothing; kept for wrappers that do).
  virtual Status Flush() = 0;
  // fsync: the bytes appended so far reach the device.
  virtual Status Sync() = 0;
  // Closes the file. Further calls to any method fail; a second Close() is OK.
  virtual Status Close() = 0;
  virtual const std::string& path() const = 0;
};

enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kOther;
  uint64_t size = 0;      // bytes (regular files)
  int64_t mtime_ns = 0;   // last modification, nanoseconds since the Unix epoch
};

struct DirEntry {
  std::string name;  // the entry's own name, not a path ("step-100", never "." or "..")
  FileType type;     // of the entry itself: a symlink is kSymlink, whatever it points at
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never destroyed; safe to call from any thread.
  static Env* Default();

  // --- files -------------------------------------------------------------------------------
  // The whole file. Errors: "cannot open <path>: ...", "cannot read <path>: ...".
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  // Creates `path`, truncating an existing file. Error: "cannot create <path>: ...".
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens `path` to append to its end, creating it if absent. Error: "cannot open <path> to append: ...".
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // Cuts (or zero-extends) the file to `size` bytes. Error: "cannot truncate <path>: ...".
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Atomically replaces `to` (a file) with `from`. Error: "cannot rename <from> to <to>: ...".
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Removes a file or symlink (not a directory). Error: "cannot remove <path>: ...".
  virtual Status RemoveFile(const std::string& path) = 0;

  // --- directories and metadata ------------------------------------------------------------
  // What `path` is, following symlinks. NotFound ("cannot stat <path>: No such file or
  // directory") when nothing is there; IoError for other failures.
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  // As Stat, but of a symlink itself (kSymlink), not of what it points at.
  virtual Result<FileInfo> LinkStat(const std::string& path) = 0;
  // The entries of a directory, sorted by name. Error: "cannot list <dir>: ...".
  virtual Result<std::vector<DirEntry>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and any missing parents; OK if it is already a directory.
  // Error: "cannot create <dir>: ...".
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Removes an empty directory. Error: "cannot remove <dir>: ...".
  virtual Status RemoveDir(const std::string& dir) = 0;

  // --- clock and randomness ----------------------------------------------------------------
  // Wall-clock seconds since the Unix epoch (for records: "started", "finished").
  virtual int64_t NowUnixSeconds() = 0;
  // Microseconds from an arbitrary fixed point, never going back: for durations only.
  virtual uint64_t NowMicros() = 0;
  // Fills `out` with `n` bytes from the operating system's secure random source (libsodium).
  virtual void RandomBytes(void* out, size_t n) = 0;

  // --- built from the methods above (so an Env's faults apply to them too) ------------------
  // Writes "<path>.tmp", syncs it, and renames it over `path`, so that readers see the old file
  // or the new one, never half of one. On failure the tmp file is removed and `path` is as it was.
  Status WriteFileAtomic(const std::string& path, std::string_view contents);
  bool FileExists(const std::string& path);   // anything at `path` (following symlinks)
  bool IsDirectory(const std::string& path);  // a directory, or a symlink to one
  // Size of the file at `path`, following symlinks. Errors as Stat.
  Result<uint64_t> GetFileSize(const std::string& path);
  // Copies `from` over `to` (streamed, so any size), through "<to>.tmp" and a rename.
  Status CopyFile(const std::string& from, const std::string& to);
  // Removes `path` and, if it is a directory, everything under it (symlinks are removed, never
  // followed). OK if nothing is there.
  Status RemoveAll(const std::string& path);
};

}  // namespace warden
