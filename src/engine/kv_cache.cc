#include "warden/engine/torch/kv_cache.h"

#include <algorithm>

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
  TORCH_CHECK(k.size(0) == batch_, "a batch of ", k.size(0), " rows for a cache of ", batch_);
  torch::Tensor keys = Rows(k_[layer]), values = Rows(v_[layer]);
  keys.narrow(2, length_, n).copy_(k);
  values.narrow(2, length_, n).copy_(v);
  return {keys.narrow(2, 0, length_ + n), values.narrow(2, 0, length_ + n)};
}

void KvCache::Advance(const torch::Tensor& valid) {
  int64_t n = valid.size(1);
  TORCH_CHECK(length_ + n <= capacity_, "KV cache full");
  if (valid_.device().is_cpu() && valid.device().is_cpu() && valid.scalar_type() == torch::kBool && valid.is_contiguous() &&
      valid_.is_contiguous() && valid.size(0) == batch_) {
    // A decode step's flags, without three tensor operations per step.
    const bool* from = valid.data_ptr<bool>();
    bool* to = valid_.data_ptr<bool>();
    const int64_t row = valid_.size(1);
    for (int64_t b = 0; b < batch_; ++b) {
      for (int64_t t = 0; t < n; ++t) {
        to[b * row + length_ + t] = from[b * n + t];
        has_padding_ = has_padding_ || !from[b * n + t];
      }
    }
  } else {
    Rows(valid_).narrow(1, length_, n).copy_(valid);
    if (!has_padding_ && !valid.all().item<bool>()) has_padding_ = true;
  }
  length_ += n;
}

void KvCache::Clear() {
  valid_.narrow(1, 0, length_).fill_(false);
  length_ = 0;
  has_padding_ = false;
}

void KvCache::Reserve(int64_t capacity) {
  if (capacity <= capacity_) return;
  for (auto* tensors : {&k_, &v_}) {
    for (torch::Tensor& t : *tensors) {
      torch::Tensor grown = torch::zeros({t.size(0), t.size(1), capacity, t.size(3)}, t.options());
      grown.narrow(2, 0, length_).copy_(t.narrow(2, 0, length_));
      t = grown;
    }
  }
  torch::Tensor valid = torch::zeros({valid_.size(0), capacity}, valid_.options());
  valid.narrow(1, 0, length_).copy_(valid_.narrow(1, 0, length_));
  valid_ = valid;
  capacity_ = capacity;
}

void KvCache::SetBatch(int64_t n) {
  TORCH_CHECK(n >= 0 && n <= max_rows(), "batch of ", n, " rows does not fit ", max_rows());
  batch_ = n;
}

void KvCache::MoveRow(int64_t from, int64_t to) {
  if (from == to) return;
  for (size_t l = 0; l < k_.size(); ++l) {
    k_[l][to].narrow(1, 0, length_).copy_(k_[l][from].narrow(1, 0, length_));
    v_[l][to].narrow(1, 0, length_).copy_(v_[l][from].narrow(1, 0, length_));
  }
  valid_[to].narrow(0, 0, length_).copy_(valid_[from].narrow(0, 0, length_));
}

void KvCache::Extend(int64_t length) {
  TORCH_CHECK(length >= length_ && length <= capacity_, "cannot extend the KV cache from ", length_, " to ", length,
              " slots (capacity ", capacity_, ")");
  if (length == length_) return;
  valid_.narrow(1, length_, length - length_).fill_(false);
  has_padding_ = true;
  length_ = length;
}

void KvCache::Adopt(int64_t to, const KvCache& src, int64_t from) {
  const int64_t n = src.length_, pad = length_ - n;
  TORCH_CHECK(pad >= 0, "adopting ", n, " slots into a cache of ", length_);
  TORCH_CHECK(src.k_.size() == k_.size(), "adopting from another model's cache");
  for (size_t l = 0; l < k_.size(); ++l) {
    k_[l][to].narrow(1, pad, n).copy_(src.k_[l][from].narrow(1, 0, n));
    v_[l][to].narrow(1, pad, n).copy_(src.v_[l][from].narrow(1, 0, n));
    if (pad > 0) k_[l][to].narrow(1, 0, pad).zero_(), v_[l][to].narrow(1, 0, pad).zero_();
  }
  valid_[to].narrow(0, pad, n).copy_(src.valid_[from].narrow(0, 0, n));
  if (pad > 0) valid_[to].narrow(0, 0, pad).fill_(false);
  if (pad > 0 || src.has_padding_) has_padding_ = true;
}

void KvCache::Compact() {
  std::vector<torch::Tensor> keep;  // per row: the indices of its real slots
  int64_t longest = 0;
  for (int64_t b = 0; b < batch_; ++b) {
    keep.push_back(valid_[b].narrow(0, 0, length_).nonzero().view(-1));
    longest = std::max(longest, keep.back().size(0));
  }
  for (int64_t b = 0; b < batch_; ++b) {
    const int64_t n = keep[b].size(0), pad = longest - n;
    for (size_t l = 0; l < k_.size(); ++l) {
      for (torch::Tensor* t : {&k_[l], &v_[l]}) {
        torch::Tensor row = (*t)[b];                           // [kv_head, capacity, d_head]
        torch::Tensor moved = row.index_select(1, keep[b]);  // a copy: safe to write back over
        row.narrow(1, pad, n).copy_(moved);
        if (pad > 0) row.narrow(1, 0, pad).zero_();
      }
    }
    valid_[b].narrow(0, 0, longest).fill_(false);
    valid_[b].narrow(0, pad, n).fill_(true);
  }
  if (longest < length_) valid_.narrow(1, longest, length_ - longest).fill_(false);
  length_ = longest;
}

void KvCache::SelectRows(const torch::Tensor& rows) {
  for (auto& t : k_) t = t.index_select(0, rows.to(t.device()));
  for (auto& t : v_) t = t.index_select(0, rows.to(t.device()));
  valid_ = valid_.index_select(0, rows.to(valid_.device()));
  batch_ = rows.size(0);
}

}  // namespace warden::engine
