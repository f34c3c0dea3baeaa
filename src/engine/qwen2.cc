// Qwen2: the Llama architecture with biases on the q, k and v projections, a large rotary base
// and (in GGUF) Hugging Face's half-split rotary layout left as it is. Parameter names are
// Hugging Face's Qwen2ForCausalLM names, which match Llama's.
#include "engine/transformer.h"

namespace warden::engine {

std::shared_ptr<CausalLmImpl> MakeLlamaFamily(const ModelConfig& config, bool qkv_bias);

std::shared_ptr<CausalLmImpl> MakeQwen2(const ModelConfig& config) {
  return MakeLlamaFamily(config, /*qkv_bias=*/true);
}

}  // namespace warden::engine
