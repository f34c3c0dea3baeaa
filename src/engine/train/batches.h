// Internal: turns training examples into batches. Which rows step s sees is a pure function of
// (seed, step), with no state carried between steps, so a resumed run needs no data cursor.
#pragma once

#include "engine/torch_pch.h"

#include <map>
#include <vector>

#include "warden/engine/torch/model.h"
#include "warden/engine/train.h"

namespace warden::engine::train {

// One row: tokens and, per token, whether it is a loss target.
struct Row {
  std::vector<int32_t> tokens;
  std::vector<uint8_t> target;  // target[0] is always 0
  // Isolated batching only: the start of each example in the row (starts[0] == 0). Empty: the
  // row is one sequence.
  std::vector<int32_t> starts;
};

struct TrainBatch {
  ForwardBatch input;     // [batch, pos] left-padded tokens, positions, validity
  torch::Tensor weights;  // [batch, pos] float32: 1 where the token is a target, else 0
  int64_t tokens = 0;     // non-padding tokens
  int64_t targets = 0;    // tokens with weight 1
  int64_t row_len = 0;    // pos: the longest row
};

class Batcher {
 public:
  // Checks every example (ids in [0, vocab), mask length, at least one target within seq_len
  // in padded mode) and names the offender as "<what> example <index>: ...".
  static Result<Batcher> Make(const std::vector<TrainExample>& examples, Batching batching,
                              int64_t seq_len, int64_t vocab_size, uint64_t seed, const char* what);

  // The rows of step `step` (0-based): rows [step*B, (step+1)*B) of the endless sequence of
  // epochs, each epoch shuffled from (seed, epoch).
  TrainBatch ForStep(int64_t step, int64_t batch_size);
  // Every row of the unshuffled data once, in batches of up to batch_size (for evaluation).
  std::vector<TrainBatch> InOrder(int64_t batch_size);

  // Rows of epoch 0 (the number varies a little between epochs with isolated batching).
  int64_t rows_per_epoch() const { return rows_per_epoch_; }

 private:
  Batcher() = default;
  std::vector<Row> EpochRows(const std::vector<int64_t>& order) const;
  std::vector<Row> IsolatedRows(const std::vector<int64_t>& order) const;
  std::vector<Row> RowsOf(const std::vector<int64_t>& order) const;  // per batching_
  // The epoch holding global row `index`, and the index of its first row.
  std::pair<int64_t, int64_t> EpochOf(int64_t index);
  const Row& RowAt(int64_t index);

  std::vector<Row> examples_;  // one row per example, mask resolved, truncated (padded mode)
  Batching batching_ = Batching::kPadded;
  int64_t seq_len_ = 0;
  uint64_t seed_ = 0;
  int64_t rows_per_epoch_ = 0;
  int64_t cached_epoch_ = -1;
  std::vector<Row> epoch_rows_;  // rows of cached_epoch_ (packed mode)
  std::vector<int64_t> epoch_order_;  // example order of cached_epoch_
  std::vector<int64_t> epoch_start_ = {0};  // isolated: first global row of epochs 0, 1, ...
};

// Left-pads rows into one batch on `device`.
TrainBatch MakeBatch(const std::vector<const Row*>& rows, torch::Device device);

}  // namespace warden::engine::train
