// Model shapes the benchmarks share, so that "the 134M Llama" means the same model in each.
#pragma once

#include "warden/engine/model_config.h"

namespace warden::bench {

// A Llama-architecture model of about 134M parameters (Llama-2 vocabulary, 12 layers of 768),
// for random-init throughput measurements.
inline engine::ModelConfig Llama134M() {
  engine::ModelConfig c;
  c.arch = engine::Arch::kLlama;
  c.vocab_size = 32000;
  c.d_model = 768;
  c.n_layers = 12;
  c.n_heads = 12;
  c.n_kv_heads = 12;
  c.d_head = 64;
  c.d_mlp = 2048;
  c.n_ctx = 1024;
  c.tied_embeddings = false;
  return c;
}

}  // namespace warden::bench
