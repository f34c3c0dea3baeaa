// The key/value cache of one batch of sequences during generation.
//
// Sequences are left-padded to a common length, so every row shares one write position: the
// cache holds `length()` filled slots of `capacity()`, and `valid()` marks which slots of each
// row hold real tokens (false for left padding), so attention can mask the rest.
//
// Continuous batching (batch_decoder.h) keeps rows [0, batch()) of `max_rows()` allocated ones
// in the forward and moves sequences between rows and caches. A slot's place does not matter to
// attention (keys carry their rotary position, learned positions are added before the cache),
// only its `valid` flag, so a sequence may sit anywhere in its row as long as its slots keep
// their order.
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

  int64_t batch() const { return batch_; }  // rows taking part in a forward
  int64_t max_rows() const { return static_cast<int64_t>(k_.empty() ? valid_.size(0) : k_[0].size(0)); }
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
  torch::Tensor valid() const { return Rows(valid_).narrow(1, 0, length_); }
  // Whether any filled slot is padding (then attention needs a mask even for one query).
  bool has_padding() const { return has_padding_; }

  // Keeps only the given rows (int64 indices), e.g. to drop finished sequences.
  void SelectRows(const torch::Tensor& rows);

  // Empties the cache (length 0, no padding seen) for reuse.
  void Clear();
  // Grows capacity() to at least `capacity` slots, keeping every row's filled slots (a new
  // allocation and a copy; nothing when it is already that large).
  void Reserve(int64_t capacity);
  // Continuous batching. Rows [0, n) take part in forwards from now on (n <= max_rows()).
  void SetBatch(int64_t n);
  // Row `to` becomes a copy of row `from` (slots [0, length()) and their flags).
  void MoveRow(int64_t from, int64_t to);
  // Grows length() to `length` with slots that are padding for every row.
  void Extend(int64_t length);
  // Row `to` takes row `from` of `src` (a cache of the same model, src.length() <= length()):
  // src's slots land at the end of the filled ones; the row's earlier slots become padding
  // (zeroed, so that a stale value can never leak through a masked slot).
  void Adopt(int64_t to, const KvCache& src, int64_t from);
  // Moves each row's real slots to the end of the filled ones, in order, and shortens length()
  // to the longest row's count: room for more steps without touching any sequence.
  void Compact();
  // The layer's key and value buffers [max_rows, kv_head, capacity, d_head], for kernels that
  // write this call's slot in place instead of calling Write (the engine's fast decode step);
  // Advance follows as usual.
  const torch::Tensor& keys(int layer) const { return k_[layer]; }
  const torch::Tensor& values(int layer) const { return v_[layer]; }

 private:
  torch::Tensor Rows(const torch::Tensor& t) const { return batch_ == t.size(0) ? t : t.narrow(0, 0, batch_); }

  int64_t batch_, capacity_, length_ = 0;
  bool has_padding_ = false;
  std::vector<torch::Tensor> k_, v_;  // per layer [batch, kv_head, capacity, d_head]
  torch::Tensor valid_;               // [batch, capacity] bool
};

}  // namespace warden::engine
