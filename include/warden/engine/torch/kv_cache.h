// The key/value cache of one batch of sequences during generation.
//
// Sequences are left-padded to a common length, so every row shares one write position: the
// cache holds `length()` filled slots of `capacity()`, and `valid()` marks which slots of each
// row hold real tokens (false for left padding), so attention can mask the rest.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "warden/engine/model_config.h"

namespace warden::engine {

class KvCache {
 public:
  // Allocates [batch, n_kv_heads, capacity, d_head] keys and values for every layer.
  KvCache(const ModelConfig& config, int64_t batch, int64_t capacity, torch::ScalarType dtype,
          torch::Device device);

  int64_t batch() const { return batch_; }
  int64_t capacity() const { return capacity_; }
  int64_t length() const { return length_; }

  // Writes this call's keys/values k, v [batch, kv_head, pos, d_head] for `layer` at slots
  // [length, length + pos) and returns the filled keys and values [batch, kv_head, length+pos,
  // d_head]. Throws if capacity would be exceeded. Does not advance length().
  std::pair<torch::Tensor, torch::Tensor> Write(int layer, const torch::Tensor& k,
                                                const torch::Tensor& v);
  // Marks slots [length, length + valid.size(1)) with `valid` [batch, pos] and advances length.
  // Called once per forward, after every layer has written.
  void Advance(const torch::Tensor& valid);

  // [batch, length()] bool: true where the slot holds a real (non-padding) token.
  torch::Tensor valid() const { return valid_.narrow(1, 0, length_); }
  // Whether any filled slot is padding (then attention needs a mask even for one query).
  bool has_padding() const { return has_padding_; }

  // Keeps only the given rows (int64 indices), e.g. to drop finished sequences.
  void SelectRows(const torch::Tensor& rows);

 private:
  int64_t batch_, capacity_, length_ = 0;
  bool has_padding_ = false;
  std::vector<torch::Tensor> k_, v_;  // per layer [batch, kv_head, capacity, d_head]
  torch::Tensor valid_;               // [batch, capacity] bool
};

}  // namespace warden::engine
