// Test-only helpers for the tokenizer tests (header-only, so the library glob skips it).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/engine/gguf.h"
#include "warden/engine/tokenizer.h"
#include "warden/engine/tokenizer_vectors.h"

namespace warden::engine::testing {

// A shared test vocabulary (skip or fail when it is missing: WARDEN_NEED_SHARED(VectorsPath(name))).
inline std::string VectorsPath(const std::string& name) {
  return ::warden::test::SharedPath("tokenizer-vectors/ggml-vocab-" + name + ".gguf");
}

// The tokenizer of a shared test vocabulary, or null (with a test failure) if it does not load.
inline std::unique_ptr<Tokenizer> LoadVectorsTokenizer(const std::string& name) {
  auto gguf = GgufFile::Open(VectorsPath(name));
  if (!gguf.ok()) {
    ADD_FAILURE() << gguf.status().ToString();
    return nullptr;
  }
  auto tok = LoadGgufTokenizer(**gguf);
  if (!tok.ok()) {
    ADD_FAILURE() << tok.status().ToString();
    return nullptr;
  }
  return std::move(tok).value();
}

inline std::vector<std::string> VectorStrings(const std::string& name) {
  auto s = ReadVocabTestStrings(VectorsPath(name) + ".inp");
  if (!s.ok()) ADD_FAILURE() << s.status().ToString();
  return s.ok() ? *s : std::vector<std::string>{};
}

// Strings no vocabulary test file has: invalid UTF-8, NUL, lone surrogates, long runs.
inline std::vector<std::string> AwkwardStrings() {
  return {std::string("\xff\xfe\x80", 3), "trunc\xe2\x82", std::string("a\0b", 3), "\xed\xa0\x80 surrogate",
          "\xc0\xaf overlong", std::string(3000, ' ') + "x", std::string(2000, 'a'), "\t\n\r\v\f",
          "mixed \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\xa6\x99 \xf4\x90\x80\x80 end"};
}

}  // namespace warden::engine::testing
