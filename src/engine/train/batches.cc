// Batches for training: padded (one example per row), packed (examples concatenated into full
// rows) or isolated (whole examples packed into rows, attending only to themselves). See
// Batching in warden/engine/train.h.
#include "engine/torch_pch.h"

#include "engine/train/batches.h"

#include <algorithm>
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
    size_t keep = batching != Batching::kPacked ? std::min<size_t>(ex.tokens.size(), seq_len)
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
  if (batching == Batching::kIsolated) {
    b.rows_per_epoch_ = static_cast<int64_t>(b.IsolatedRows(Permutation(b.examples_.size(), seed, 0)).size());
  }
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

// Whole examples, in `order`, each in one row: an example that does not fit in what is left of
// the current row starts a new one.
std::vector<Row> Batcher::IsolatedRows(const std::vector<int64_t>& order) const {
  std::vector<Row> rows;
  for (int64_t idx : order) {
    const Row& ex = examples_[idx];
    if (rows.empty() || rows.back().tokens.size() + ex.tokens.size() > static_cast<size_t>(seq_len_)) {
      rows.emplace_back();
    }
    Row& r = rows.back();
    r.starts.push_back(static_cast<int32_t>(r.tokens.size()));
    r.tokens.insert(r.tokens.end(), ex.tokens.begin(), ex.tokens.end());
    r.target.insert(r.target.end(), ex.target.begin(), ex.target.end());
  }
  return rows;
}

std::vector<Row> Batcher::RowsOf(const std::vector<int64_t>& order) const {
  return batching_ == Batching::kPacked ? EpochRows(order) : IsolatedRows(order);
}

std::pair<int64_t, int64_t> Batcher::EpochOf(int64_t index) {
  if (batching_ != Batching::kIsolated) return {index / rows_per_epoch_, index - index % rows_per_epoch_};
  // Epochs differ in row count; count them from the start (integer work only, cached).
  while (epoch_start_.back() <= index) {
    const int64_t e = static_cast<int64_t>(epoch_start_.size()) - 1;
    const auto n = static_cast<int64_t>(IsolatedRows(Permutation(examples_.size(), seed_, e)).size());
    epoch_start_.push_back(epoch_start_.back() + n);
  }
  const auto it = std::upper_bound(epoch_start_.begin(), epoch_start_.end(), index);
  const int64_t epoch = (it - epoch_start_.begin()) - 1;
  return {epoch, epoch_start_[epoch]};
}

const Row& Batcher::RowAt(int64_t index) {
  const auto [epoch, first] = EpochOf(index);
  if (epoch != cached_epoch_) {
    epoch_order_ = Permutation(static_cast<int64_t>(examples_.size()), seed_, epoch);
    if (batching_ != Batching::kPadded) epoch_rows_ = RowsOf(epoch_order_);
    cached_epoch_ = epoch;
  }
  const int64_t i = index - first;
  return batching_ != Batching::kPadded ? epoch_rows_[i] : examples_[epoch_order_[i]];
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
  if (batching_ != Batching::kPadded) packed = RowsOf(order);
  const std::vector<Row>& rows = batching_ != Batching::kPadded ? packed : examples_;
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
  bool isolated = false;
  for (const Row* r : rows) isolated |= !r->starts.empty();
  if (isolated) {  // each example its own document: positions restart, attention stays inside
    torch::Tensor pos = torch::zeros({static_cast<int64_t>(rows.size()), T}, torch::kLong);
    torch::Tensor seg = torch::full({static_cast<int64_t>(rows.size()), T}, -1, torch::kLong);
    auto p = pos.accessor<int64_t, 2>();
    auto g = seg.accessor<int64_t, 2>();
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t pad = T - static_cast<int64_t>(rows[i]->tokens.size());
      size_t doc = 0;
      for (int64_t t = 0; t < static_cast<int64_t>(rows[i]->tokens.size()); ++t) {
        while (doc + 1 < rows[i]->starts.size() && rows[i]->starts[doc + 1] <= t) ++doc;
        const int64_t start = rows[i]->starts.empty() ? 0 : rows[i]->starts[doc];
        p[i][pad + t] = t - start;
        g[i][pad + t] = static_cast<int64_t>(doc);
      }
    }
    b.input.positions = pos.to(device);
    b.input.segments = seg.to(device);
  }
  return b;
}

}  // namespace warden::engine::train
