// FusedAttention against the reference arithmetic (matmul, mask, softmax, matmul) on inputs
// shaped like a decode step and a short prefill: grouped heads, keys read through a strided view of a larger cache,
// masked (padding) slots, and one or two query positions.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/transformer.h"

namespace warden::engine {
namespace {

torch::Tensor Reference(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
                        const torch::Tensor& mask) {
  const int64_t H = q.size(2), KV = keys.size(1), G = H / KV;
  torch::Tensor k = keys.repeat_interleave(G, 1), v = values.repeat_interleave(G, 1);  // [b, h, S, dh]
  torch::Tensor scores = torch::matmul(q.transpose(1, 2), k.transpose(2, 3)) / std::sqrt(double(q.size(3)));
  if (mask.defined()) scores = scores + mask;
  return torch::matmul(torch::softmax(scores, -1), v).transpose(1, 2);  // [b, T, h, dh]
}

struct Shape {
  int64_t batch, pos, heads, kv_heads, d_head, slots;
};

class FusedAttentionShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(FusedAttentionShapes, MatchesTheReference) {
  const Shape s = GetParam();
  torch::manual_seed(7);
  torch::NoGradGuard no_grad;
  torch::Tensor q = torch::randn({s.batch, s.pos, s.heads, s.d_head});
  // The cache holds more slots than are filled: attention reads a narrow view of it.
  torch::Tensor cache_k = torch::randn({s.batch, s.kv_heads, s.slots + 9, s.d_head});
  torch::Tensor cache_v = torch::randn({s.batch, s.kv_heads, s.slots + 9, s.d_head});
  torch::Tensor keys = cache_k.narrow(2, 0, s.slots), values = cache_v.narrow(2, 0, s.slots);
  // Row 0 is left-padded by three slots; the others see everything.
  torch::Tensor mask = torch::zeros({s.batch, 1, s.pos, s.slots});
  mask.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 3)},
                  -std::numeric_limits<float>::infinity());
  ASSERT_TRUE(CanFuseAttention(q, keys, mask));
  for (const torch::Tensor& m : {mask, torch::Tensor()}) {
    torch::Tensor fused = FusedAttention(q, keys, values, m), want = Reference(q, keys, values, m);
    ASSERT_EQ(fused.sizes(), want.sizes());
    EXPECT_LT((fused - want).abs().max().item<float>(), 2e-6) << "mask " << m.defined();
  }
}

INSTANTIATE_TEST_SUITE_P(Decode, FusedAttentionShapes,
                         ::testing::Values(Shape{16, 1, 4, 4, 32, 130}, Shape{3, 1, 8, 2, 64, 17},
                                           Shape{2, 2, 4, 2, 20, 40}, Shape{1, 1, 2, 1, 8, 5},
                                           Shape{2, 12, 4, 4, 32, 12}, Shape{2, 1, 8, 4, 8, 150},
                                           Shape{1, 3, 8, 4, 8, 43}),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                           const Shape& s = info.param;
                           return "b" + std::to_string(s.batch) + "_t" + std::to_string(s.pos) + "_h" +
                                  std::to_string(s.heads) + "_kv" + std::to_string(s.kv_heads) + "_dh" +
                                  std::to_string(s.d_head);
                         });

TEST(FusedAttention, LeavesAutogradHalfPrecisionAndLargeWorkToTheGeneralPath) {
  torch::Tensor keys = torch::randn({1, 2, 6, 8});
  EXPECT_TRUE(CanFuseAttention(torch::randn({1, 1, 2, 8}), keys, {}));
  EXPECT_FALSE(CanFuseAttention(torch::randn({1, 1, 2, 8}, torch::requires_grad()), keys, {}));
  EXPECT_FALSE(CanFuseAttention(torch::randn({1, 1, 2, 8}).to(torch::kHalf), keys, {}));
  EXPECT_TRUE(CanFuseAttention(torch::randn({1, 6, 2, 8}), keys, {}));  // a short prefill
  EXPECT_FALSE(CanFuseAttention(torch::randn({1, 300, 4, 32}), torch::randn({1, 4, 300, 32}), {}));  // a long one
  EXPECT_FALSE(CanFuseAttention(torch::randn({1, 1, 12, 64}), torch::randn({1, 12, 512, 64}), {}));  // a long context
}

}  // namespace
}  // namespace warden::engine
