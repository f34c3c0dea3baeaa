// Internal to the interp module: Matrix (torch-free, in the public headers) to and from tensors.
#pragma once

#include <vector>

#include "engine/torch_pch.h"
#include "warden/interp/activations.h"

namespace warden::interp {

// A float32 copy of `values` with `shape` (the product of shape must equal values.size()).
inline torch::Tensor ToTensor(const std::vector<float>& values, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat).clone();
}
inline torch::Tensor ToTensor(const Matrix& m) { return ToTensor(m.data, {m.rows, m.cols}); }

inline std::vector<float> ToFloats(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}
inline Matrix ToMatrix(const torch::Tensor& t) { return Matrix{t.size(0), t.size(1), ToFloats(t)}; }

}  // namespace warden::interp
