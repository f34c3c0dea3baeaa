// Batches for training: padded (one example per row) or packed (examples concatenated into
// full rows). See Batching in warden/engine/train.h.
#include "engine/torch_pch.h"

#include "engine/train/batches.h"

#include <numeric>
#include <string>

namespace warden::engine::train {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Fisher-Yates from our own generator: std::shuffle's use of the generator is left to the
// standard library, so its order could change with the compiler.
std::vector<int64_t> Permutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  uint64_t state = seed ^ (0xd1b54a32d192ed03ULL * static_cast<uint64_t>(epoch + 1));
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(SplitMix64(state) % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

Status CheckExample(const TrainExample& ex, int64_t vocab_size, const std::string& where) {
  if (ex.tokens.size() < 2) return Status::InvalidArgument(where + ": fewer than 2 tokens");
  if (!ex.loss_mask.empty() && ex.loss_mask.size() != ex.tokens.size()) {
    return Status::InvalidArgument(where + ": loss_mask has " + std::to_string(ex.loss_mask.size()) +
                                   " entries for " + std::to_string(ex.tokens.size()) + " tokens");
  }
  for (size_t t = 0; t < ex.tokens.size(); ++t) {
    if (ex.tokens[t] < 0 || ex.tokens[t] >= vocab_size) {
      return Status::InvalidArgument(where + ": token " + std::to_string(t) + " has id " +
                                     std::to_string(ex.tokens[t]) + " outside the vocabulary of " +
                                     std::to_string(vocab_size));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Batcher> Batcher::Make(const std::vector<TrainExample>& examples, Batching batching,
                              int64_t seq_len, int64_t vocab_size, uint64_t seed, const char* what) {
  Batcher b;
  b.batching_ = batching;
  b.seq_len_ = seq_len;
  b.seed_ = seed;
  int64_t total_tokens = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    const TrainExample& ex = examples[i];
    std::string where = std::string(what) + " example " + std::to_string(i);
    WARDEN_RETURN_IF_ERROR(CheckExample(ex, vocab_size, where));
    Row row;
    size_t keep = batching == Batching::kPadded ? std::min<size_t>(ex.tokens.size(), seq_len)
                                                : ex.tokens.size();
    row.tokens.assign(ex.tokens.begin(), ex.tokens.begin() + keep);
    row.target.assign(keep, 1);
    if (!ex.loss_mask.empty()) row.target.assign(ex.loss_mask.begin(), ex.loss_mask.begin() + keep);
    row.target[0] = 0;
    for (auto& m : row.target) m = m != 0;
    if (std::accumulate(row.target.begin(), row.target.end(), 0) == 0) {
      return Status::InvalidArgument(where + ": no target tokens" +
                                     (keep < ex.tokens.size() ? " within seq_len " + std::to_string(seq_len)
                                                              : std::string(" (loss_mask is all 0)")));
    }
    total_tokens += static_cast<int64_t>(keep);
    b.examples_.push_back(std::move(row));
  }
  if (b.examples_.empty()) return Status::InvalidArgument(std::string(what) + " set is empty");
  b.rows_per_epoch_ = batching == Batching::kPadded ? static_cast<int64_t>(b.examples_.size())
                                                    : (total_tokens + seq_len - 1) / seq_len;
  return b;
}

// Packed rows of one epoch: the examples in `order`, concatenated and cut every seq_len tokens.
std::vector<Row> Batcher::EpochRows(const std::vector<int64_t>& order) const {
  std::vector<Row> rows(1);
  for (int64_t idx : order) {
    const Row& ex = examples_[idx];
    for (size_t t = 0; t < ex.tokens.size(); ++t) {
      if (static_cast<int64_t>(rows.back().tokens.size()) == seq_len_) rows.emplace_back();
      Row& r = rows.back();
      r.tokens.push_back(ex.tokens[t]);
      // The first token of a row is never a target either: nothing precedes it in the row.
      r.target.push_back(r.tokens.size() == 1 ? 0 : ex.target[t]);
    }
  }
  return rows;
}

const Row& Batcher::RowAt(int64_t index) {
  int64_t epoch = index / rows_per_epoch_, i = index % rows_per_epoch_;
  if (epoch != cached_epoch_) {
    epoch_order_ = Permutation(static_cast<int64_t>(examples_.size()), seed_, epoch);
    if (batching_ == Batching::kPacked) epoch_rows_ = EpochRows(epoch_order_);
    cached_epoch_ = epoch;
  }
  return batching_ == Batching::kPacked ? epoch_rows_[i] : examples_[epoch_order_[i]];
}

TrainBatch Batcher::ForStep(int64_t step, int64_t batch_size) {
  // Copies, since RowAt may replace the cached epoch while the batch is gathered.
  std::vector<Row> rows;
  for (int64_t k = 0; k < batch_size; ++k) rows.push_back(RowAt(step * batch_size + k));
  std::vector<const Row*> ptrs;
  for (const Row& r : rows) ptrs.push_back(&r);
  return MakeBatch(ptrs, torch::kCPU);
}

std::vector<TrainBatch> Batcher::InOrder(int64_t batch_size) {
  std::vector<int64_t> order(examples_.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<Row> packed;
  if (batching_ == Batching::kPacked) packed = EpochRows(order);
  const std::vector<Row>& rows = batching_ == Batching::kPacked ? packed : examples_;
  std::vector<TrainBatch> out;
  for (size_t start = 0; start < rows.size(); start += batch_size) {
    std::vector<const Row*> ptrs;
    for (size_t i = start; i < std::min(rows.size(), start + batch_size); ++i) ptrs.push_back(&rows[i]);
    out.push_back(MakeBatch(ptrs, torch::kCPU));
  }
  return out;
}

TrainBatch MakeBatch(const std::vector<const Row*>& rows, torch::Device device) {
  std::vector<std::vector<int32_t>> seqs;
  int64_t T = 0;
  for (const Row* r : rows) {
    seqs.push_back(r->tokens);
    T = std::max<int64_t>(T, static_cast<int64_t>(r->tokens.size()));
  }
  TrainBatch b;
  b.input = ForwardBatch::LeftPadded(seqs, device);
  b.row_len = T;
  torch::Tensor w = torch::zeros({static_cast<int64_t>(rows.size()), T}, torch::kFloat);
  auto acc = w.accessor<float, 2>();
  for (size_t i = 0; i < rows.size(); ++i) {
    int64_t pad = T - static_cast<int64_t>(rows[i]->tokens.size());
    for (size_t t = 0; t < rows[i]->target.size(); ++t) {
      acc[i][pad + t] = rows[i]->target[t];
      b.targets += rows[i]->target[t];
    }
    b.tokens += static_cast<int64_t>(rows[i]->tokens.size());
  }
  b.weights = w.to(device);
  return b;
}

}  // namespace warden::engine::train
