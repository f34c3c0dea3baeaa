// Test helpers for the engine: tiny configs of every architecture, shared-data paths.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "warden/base/file.h"
#include "warden/engine/model_config.h"

namespace warden::engine::testing {

inline ModelConfig TinyConfig(Arch arch) {
  ModelConfig c;
  c.arch = arch;
  c.vocab_size = 61;
  c.d_model = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = arch == Arch::kGpt2 ? 4 : 2;  // grouped-query attention on the rotary models
  c.d_head = 8;
  c.d_mlp = 40;
  c.n_ctx = 64;
  c.tied_embeddings = arch == Arch::kGpt2;
  c.rope_theta = arch == Arch::kQwen2 ? 1000000.0 : 10000.0;
  c.norm_eps = arch == Arch::kGpt2 ? 1e-5 : 1e-6;
  return c;
}

inline std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "warden_" + name + "_" + std::to_string(::getpid());
  std::string cmd = "mkdir -p '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "cannot create " << dir;
  return dir;
}

}  // namespace warden::engine::testing
