// A fresh, private directory for one test, removed with everything in it when the object goes.
//
//   warden::test::TempDir dir("keys");             // e.g. /tmp/warden-keys-a1B2c3
//   WriteKeyPair(dir.Join("alice"));
//
// Created with mkdtemp under gtest's temp directory ($TEST_TMPDIR or $TMPDIR, else /tmp), so
// tests running in parallel never share one. A directory that cannot be created aborts the test
// binary (nothing a test could do without it). Header-only; uses nothing of warden's.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace warden::test {

class TempDir {
 public:
  explicit TempDir(const std::string& label = "test") {
    std::string pattern = ::testing::TempDir() + "warden-" + label + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror(("mkdtemp " + pattern).c_str());
      std::abort();
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace warden::test
