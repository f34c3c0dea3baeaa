// Isolated batching: a row that packs several examples must give every token exactly the
// logits it gets when its example runs alone (the reference), for each architecture; rows are
// filled with whole examples; epochs of different row counts still map steps deterministically.
#include "engine/torch_pch.h"

#include "engine/test_util.h"
#include "engine/train/batches.h"
#include "warden/engine/torch/model.h"

namespace warden::engine::train {
namespace {

using engine::testing::TinyConfig;

std::vector<TrainExample> Examples(const std::vector<int>& lengths) {
  std::vector<TrainExample> out;
  for (size_t i = 0; i < lengths.size(); ++i) {
    TrainExample ex;
    for (int t = 0; t < lengths[i]; ++t) ex.tokens.push_back(static_cast<int32_t>((11 * i + 5 * t + 2) % 61));
    out.push_back(ex);
  }
  return out;
}

class IsolatedPerArch : public ::testing::TestWithParam<Arch> {};

TEST_P(IsolatedPerArch, PackedRowEqualsEachExampleAlone) {
  torch::NoGradGuard no_grad;
  auto model = Model::RandomInit(TinyConfig(GetParam()), /*seed=*/3);
  const std::vector<TrainExample> data = Examples({5, 7, 4});
  auto batcher = Batcher::Make(data, Batching::kIsolated, /*seq_len=*/16, 61, /*seed=*/1, "test").ValueOrThrow();
  std::vector<TrainBatch> batches = batcher.InOrder(/*batch_size=*/1);
  ASSERT_EQ(batches.size(), 1u);  // 5 + 7 + 4 tokens fill exactly one row of 16
  ASSERT_TRUE(batches[0].input.segments.defined());
  const torch::Tensor packed = model->Forward(batches[0].input);  // [1, 16, vocab]
  int64_t offset = 0;
  for (const TrainExample& ex : data) {
    const torch::Tensor alone = model->Forward(ForwardBatch::LeftPadded({ex.tokens}));
    const auto n = static_cast<int64_t>(ex.tokens.size());
    EXPECT_TRUE(torch::allclose(packed.slice(1, offset, offset + n), alone, /*rtol=*/1e-4, /*atol=*/1e-5))
        << "example at offset " << offset;
    offset += n;
  }
  // Without segments the later examples would see the earlier ones: the check above can fail.
  ForwardBatch leaky = batches[0].input;
  leaky.segments = torch::Tensor();
  const torch::Tensor mixed = model->Forward(leaky);
  EXPECT_FALSE(torch::allclose(mixed.slice(1, 5, 12), packed.slice(1, 5, 12), 1e-4, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(Batches, IsolatedPerArch, ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kGpt2),
                         [](const auto& info) { return std::string(ArchName(info.param)); });

TEST(Isolated, RowsHoldWholeExamplesAndStepsAreAPureFunction) {
  const std::vector<TrainExample> data = Examples({9, 3, 8, 2, 7, 6, 5, 4, 9, 1 + 1});
  auto a = Batcher::Make(data, Batching::kIsolated, 10, 61, 7, "test").ValueOrThrow();
  auto b = Batcher::Make(data, Batching::kIsolated, 10, 61, 7, "test").ValueOrThrow();
  // Visit b's steps in reverse: the rows of a step must not depend on which steps came before.
  std::vector<TrainBatch> forward, backward(40);
  for (int64_t s = 0; s < 40; ++s) forward.push_back(a.ForStep(s, 3));
  for (int64_t s = 39; s >= 0; --s) backward[s] = b.ForStep(s, 3);
  int64_t tokens = 0;
  for (int64_t s = 0; s < 40; ++s) {
    EXPECT_TRUE(torch::equal(forward[s].input.tokens, backward[s].input.tokens)) << "step " << s;
    EXPECT_TRUE(torch::equal(forward[s].input.segments, backward[s].input.segments)) << "step " << s;
    EXPECT_LE(forward[s].row_len, 10);
    tokens += forward[s].tokens;
  }
  // 40 steps x 3 rows cover many epochs of 60 tokens each, none lost or split.
  EXPECT_GT(tokens, 60 * 10);
}

TEST(Isolated, LongExamplesAreTruncatedToTheRow) {
  auto batcher = Batcher::Make(Examples({30}), Batching::kIsolated, 12, 61, 1, "test").ValueOrThrow();
  const TrainBatch batch = batcher.ForStep(0, 1);
  EXPECT_EQ(batch.row_len, 12);
  EXPECT_EQ(batch.tokens, 12);
}

}  // namespace
}  // namespace warden::engine::train
