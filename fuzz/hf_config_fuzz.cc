// ModelConfig::FromHfConfigJson on arbitrary text; on success, ToHfConfigJson must round-trip.
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_util.h"
#include "warden/engine/model_config.h"

using namespace warden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = engine::ModelConfig::FromHfConfigJson(text, "fuzz/config.json");
  if (!c.ok()) {
    fuzz::Require(!c.status().message().empty());
    return 0;
  }
  fuzz::Require(c->Validate().ok());
  fuzz::Require(c->ParameterCount() > 0);
  const std::string again = c->ToHfConfigJson().dump();
  auto r = engine::ModelConfig::FromHfConfigJson(again, "round-trip");
  fuzz::Require(r.ok());
  fuzz::Require(r->arch == c->arch && r->vocab_size == c->vocab_size && r->d_model == c->d_model &&
                r->n_layers == c->n_layers && r->n_heads == c->n_heads &&
                r->n_kv_heads == c->n_kv_heads && r->d_head == c->d_head && r->d_mlp == c->d_mlp &&
                r->n_ctx == c->n_ctx && r->norm_eps == c->norm_eps &&
                r->tied_embeddings == c->tied_embeddings && r->bos_token_id == c->bos_token_id &&
                r->eos_token_id == c->eos_token_id);
  return 0;
}
