// FaultInjectionEnv: an Env for tests that fails the way disks and filesystems do.
//
// It passes every call to another Env (usually Env::Default()) except the faults it has been
// told to inject:
//
//   FaultInjectionEnv env(Env::Default());
//   env.FailWritesAfter(1000);   // the disk fills up after 1000 more bytes
//   ... code under test writes through &env, and must report the error ...
//   env.Heal();                  // space is freed: writes succeed again
//
// A full disk behaves as Linux does: the Append that crosses the limit writes the bytes that
// still fit (the file now ends in a torn record) and fails with IoError "cannot write to
// <path>: No space left on device"; every later Append fails the same way, writing nothing.
// Faults apply to files opened before they were set, and to the Env helpers built on the
// primitives (WriteFileAtomic, CopyFile).
//
// Ownership: `base` is not owned and must outlive this Env and every file it hands out.
// Thread-safety: as any Env; the fault controls may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "warden/base/env.h"

namespace warden {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // --- faults --------------------------------------------------------------------------------
  // Out of space after `bytes` more appended bytes, summed over every file (see above).
  void FailWritesAfter(uint64_t bytes);
  // The next RenameFile fails with IoError "cannot rename <from> to <to>: Input/output error"
  // and renames nothing; later ones succeed.
  void FailNextRename();
  // NowUnixSeconds() and NowMicros() return these values until ThawClock(): a run's records
  // then hold the same times and durations on every run.
  void FreezeClock(int64_t unix_seconds, uint64_t micros);
  void ThawClock();
  // Clears every fault (not the frozen clock).
  void Heal();

  // Bytes that Append calls have written through this Env (torn prefixes included).
  uint64_t bytes_appended() const;

  // --- Env -------------------------------------------------------------------------------------
  Result<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    return base_->NewSequentialFile(path);
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override { return base_->TruncateFile(path, size); }
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Result<FileInfo> Stat(const std::string& path) override { return base_->Stat(path); }
  Result<FileInfo> LinkStat(const std::string& path) override { return base_->LinkStat(path); }
  Result<std::vector<DirEntry>> ListDir(const std::string& dir) override { return base_->ListDir(dir); }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status RemoveDir(const std::string& dir) override { return base_->RemoveDir(dir); }
  int64_t NowUnixSeconds() override;
  uint64_t NowMicros() override;
  void RandomBytes(void* out, size_t n) override { base_->RandomBytes(out, n); }

 private:
  class File;  // the WritableFile handed out: asks TakeWriteBudget before each Append
  // How many of `wanted` bytes may be written now (all of them unless the disk is "full").
  size_t TakeWriteBudget(size_t wanted);

  Env* const base_;
  mutable std::mutex mu_;
  std::optional<uint64_t> write_budget_;  // bytes left before the disk is full; none: unlimited
  bool fail_next_rename_ = false;
  std::optional<std::pair<int64_t, uint64_t>> frozen_clock_;
  uint64_t bytes_appended_ = 0;
};

}  // namespace warden
