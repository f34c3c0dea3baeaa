// Steering vectors: directions added to the residual stream to move a behaviour, made by
// difference of means (Turner et al. 2023; Rimsky et al. 2024: mean activation on examples
// with the behaviour minus mean on examples without), stored as llama.cpp control vectors.
//
// File format: a llama.cpp control-vector GGUF (what its `--control-vector` flag and the repeng
// library read and write): general.architecture = "controlvector", controlvector.model_hint,
// controlvector.layer_count, and one F32 tensor "direction.{L}" of n_embd values per layer. As
// in llama.cpp, direction.L is added to the output of layer L (warden's
// blocks.{L}.hook_resid_post); llama.cpp never loads direction.0, so a vector for block 0 is
// not portable to it. warden adds warden.trained_on (a JSON list of sample ids, as a string):
// provenance, ignored by llama.cpp.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/activations.h"

namespace warden::interp {

struct SteeringVector {
  std::string model_hint;  // e.g. the model's path or architecture
  std::map<int, std::vector<float>> directions;  // layer -> [d_model]
  std::vector<std::string> trained_on;           // ids of the conversations it was made from
};

// mean(label 1) - mean(label 0) of every blocks.{L}.hook_resid_post in the set; errors when a
// class is missing or the set holds no residual-stream hook.
Result<SteeringVector> DiffOfMeansVector(const ActivationSet& set, const std::vector<size_t>& rows);

Status WriteControlVector(const SteeringVector& v, const std::string& path);
Result<SteeringVector> ReadControlVector(const std::string& path);

}  // namespace warden::interp
