// FaultInjectionEnv (fault_env.h).
#include "warden/base/fault_env.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace warden {

// Appends through the base Env's file, within the write budget of the Env that opened it.
class FaultInjectionEnv::File final : public WritableFile {
 public:
  File(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base) : env_(env), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    const size_t allowed = env_->TakeWriteBudget(data.size());
    if (allowed > 0) WARDEN_RETURN_IF_ERROR(base_->Append(data.substr(0, allowed)));
    if (allowed < data.size()) return Status::IoError("cannot write to " + path() + ": " + std::strerror(ENOSPC));
    return Status::Ok();
  }
  Status Flush() override { return base_->Flush(); }
  Status Sync() override { return base_->Sync(); }
  Status Close() override { return base_->Close(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
};

void FaultInjectionEnv::FailWritesAfter(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  write_budget_ = bytes;
}

void FaultInjectionEnv::FailNextRename() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_rename_ = true;
}

void FaultInjectionEnv::FreezeClock(int64_t unix_seconds, uint64_t micros) {
  std::lock_guard<std::mutex> lock(mu_);
  frozen_clock_ = std::make_pair(unix_seconds, micros);
}

void FaultInjectionEnv::ThawClock() {
  std::lock_guard<std::mutex> lock(mu_);
  frozen_clock_.reset();
}

void FaultInjectionEnv::Heal() {
  std::lock_guard<std::mutex> lock(mu_);
  write_budget_.reset();
  fail_next_rename_ = false;
}

uint64_t FaultInjectionEnv::bytes_appended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_appended_;
}

size_t FaultInjectionEnv::TakeWriteBudget(size_t wanted) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t allowed = wanted;
  if (write_budget_.has_value()) {
    allowed = static_cast<size_t>(std::min<uint64_t>(wanted, *write_budget_));
    *write_budget_ -= allowed;
  }
  bytes_appended_ += allowed;
  return allowed;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, base_->NewWritableFile(path));
  return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, base_->NewAppendableFile(path));
  return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_next_rename_) {
      fail_next_rename_ = false;
      return Status::IoError("cannot rename " + from + " to " + to + ": " + std::strerror(EIO));
    }
  }
  return base_->RenameFile(from, to);
}

int64_t FaultInjectionEnv::NowUnixSeconds() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (frozen_clock_.has_value()) return frozen_clock_->first;
  }
  return base_->NowUnixSeconds();
}

uint64_t FaultInjectionEnv::NowMicros() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (frozen_clock_.has_value()) return frozen_clock_->second;
  }
  return base_->NowMicros();
}

}  // namespace warden
