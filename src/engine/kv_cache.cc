#include "warden/engine/torch/kv_cache.h"

namespace warden::engine {

KvCache::KvCache(const ModelConfig& config, int64_t batch, int64_t capacity,
                 torch::ScalarType dtype, torch::Device device)
    : batch_(batch), capacity_(capacity) {
  auto opts = torch::TensorOptions().dtype(dtype).device(device);
  for (int64_t l = 0; l < config.n_layers; ++l) {
    k_.push_back(torch::zeros({batch, config.n_kv_heads, capacity, config.d_head}, opts));
    v_.push_back(torch::zeros({batch, config.n_kv_heads, capacity, config.d_head}, opts));
  }
  valid_ = torch::zeros({batch, capacity}, torch::TensorOptions().dtype(torch::kBool).device(device));
}

std::pair<torch::Tensor, torch::Tensor> KvCache::Write(int layer, const torch::Tensor& k,
                                                       const torch::Tensor& v) {
  int64_t n = k.size(2);
  TORCH_CHECK(length_ + n <= capacity_, "KV cache full: ", length_, " + ", n, " > capacity ",
              capacity_);
  k_[layer].narrow(2, length_, n).copy_(k);
  v_[layer].narrow(2, length_, n).copy_(v);
  return {k_[layer].narrow(2, 0, length_ + n), v_[layer].narrow(2, 0, length_ + n)};
}

void KvCache::Advance(const torch::Tensor& valid) {
  int64_t n = valid.size(1);
  TORCH_CHECK(length_ + n <= capacity_, "KV cache full");
  valid_.narrow(1, length_, n).copy_(valid);
  if (!has_padding_ && !valid.all().item<bool>()) has_padding_ = true;
  length_ += n;
}

void KvCache::SelectRows(const torch::Tensor& rows) {
  for (auto& t : k_) t = t.index_select(0, rows.to(t.device()));
  for (auto& t : v_) t = t.index_select(0, rows.to(t.device()));
  valid_ = valid_.index_select(0, rows.to(valid_.device()));
  batch_ = rows.size(0);
}

}  // namespace warden::engine
