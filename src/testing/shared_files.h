// Tests that read the shared files: models, tokenizer vectors and datasets from ../shared (or the
// WARDEN_SHARED_DIR the build was configured with), which are never committed.
//
// Without those files a checkout still builds and its tests still run: a test that needs one
// skips, naming the missing path. In CI a skip would let a reference proof (stories260K's greedy
// text, the tokenizer vectors) pass without running, so with WARDEN_REQUIRE_SHARED=1 in the
// environment (`.ci/run` sets it) every such skip is a failure instead, with the same message.
//
//   TEST(Model, Stories260KGreedyText) {
//     WARDEN_NEED_SHARED(warden::test::SharedPath("models/stories260K/stories260K.bin"));
//     ...
//   }
//
// WARDEN_NEED_SHARED takes one or more full paths and returns from the enclosing function when
// one is missing (it is GTEST_SKIP or GTEST_FAIL), so it belongs in a TEST body or in SetUp(),
// never in a helper that returns a value. Header-only, test binaries only; it uses nothing of
// warden's, so every module's tests may include it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>

namespace warden::test {

// Where the shared files are: the WARDEN_SHARED_DIR the tests were compiled with.
inline std::string SharedDir() { return WARDEN_SHARED_DIR; }
inline std::string SharedPath(const std::string& relative) { return SharedDir() + "/" + relative; }

// True when WARDEN_REQUIRE_SHARED is set to anything other than "" or "0".
inline bool SharedFilesRequired() {
  const char* v = std::getenv("WARDEN_REQUIRE_SHARED");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// The first of `paths` that does not exist, or "" when every one does.
inline std::string FirstMissing(std::initializer_list<std::string> paths) {
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) return p;
  }
  return "";
}

}  // namespace warden::test

#define WARDEN_NEED_SHARED(...)                                                                        \
  if (const std::string warden_missing_shared_ = ::warden::test::FirstMissing({__VA_ARGS__});          \
      warden_missing_shared_.empty()) {                                                                \
  } else if (::warden::test::SharedFilesRequired())                                                    \
    GTEST_FAIL() << "shared file missing: " << warden_missing_shared_                                  \
                 << " (WARDEN_REQUIRE_SHARED is set: a missing shared file is a failure, not a skip)"; \
  else                                                                                                 \
    GTEST_SKIP() << "shared file missing: " << warden_missing_shared_
