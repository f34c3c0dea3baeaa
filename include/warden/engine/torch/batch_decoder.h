// Continuous batching: sequences join a running batch at the next decode step and leave it when
// they end, so that a server decodes every request it holds in one forward per step instead of
// waiting for a whole batch to finish (Generate is this with every sequence added at once).
//
//   BatchDecoder d(model, /*max_rows=*/16);
//   d.Add({prompt, options}).value();             // joins at the next Step
//   while (d.rows() > 0) {
//     d.Step(&hooks, on_token).ThrowIfError();    // one forward of the batch, one token per row
//     for (auto& [id, gen] : d.TakeFinished()) ...
//   }
//
// A step first feeds every row in the batch its last sampled token and samples the next, then
// prefills the rows added since the last step (one left-padded forward of the newcomers, with
// their own cache) and samples their first token; the newcomers then move into the batch's
// cache (KvCache::Adopt). A row that ends (EOS, a stop string, its max_new_tokens, the model's
// context, or on_token returning false) leaves at once and its cache row is reused.
//
// Hooks see each forward as usual: the prefill of newcomers (decode = false, their batch) and
// the decode step (decode = true, one position per row). Inside a hook, forward() names the
// forward's rows in batch order. Row ids count from 0 in the order of Add; the sampler of a
// row is seeded from (options.seed, stream), so its tokens do not depend on which other rows
// share its steps. (Results agree with decoding the row alone up to floating-point rounding.)
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/generation.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {

struct DecodeRequest {
  std::vector<int32_t> prompt;  // at least one token, shorter than the model's context
  SamplingOptions options;
  uint64_t stream = 0;          // the sampler's stream (Generate uses the row's index)
};

// One row of the forward that is running (valid inside a hook).
struct ForwardRow {
  int64_t id;          // the row's id (from Add)
  int64_t prompt_len;  // its prompt's length (in a prefill: the last prompt_len positions)
  int64_t fed;         // in a decode step: the index, among the row's generated tokens, of the token fed
};

class BatchDecoder {
 public:
  // `capacity`: the most KV slots per row (0: twice the model's context), so that rows at
  // different lengths can share one write position. The cache starts small and, when its write
  // position reaches the end, first compacts (each row's slots moved to the end, padding
  // dropped), then doubles if little room is left: memory follows what the rows use. Below the
  // context, rows that no longer fit end with finish_reason "context" (Generate sizes it to
  // its longest prompt plus max_new_tokens, as a batch that all starts at once needs no more).
  BatchDecoder(const Model& model, int64_t max_rows, int64_t capacity = 0);
  ~BatchDecoder();
  BatchDecoder(const BatchDecoder&) = delete;
  BatchDecoder& operator=(const BatchDecoder&) = delete;

  // Queues a sequence to join at the next Step. Errors on an empty prompt, one that does not
  // fit the context, bad sampling options, or when rows() == max_rows().
  Result<int64_t> Add(DecodeRequest request);

  int64_t rows() const;      // sequences decoding or waiting to join
  int64_t max_rows() const;  // the most at once

  // One step (see above). `on_token` is called for every sampled token of a row still running;
  // returning false ends the row (finish_reason "cut"). An error (a forward that failed) ends
  // every row with it: each is finished with finish_reason "error".
  Status Step(const Hooks* hooks = nullptr, const TokenCallback& on_token = {});

  // The rows that ended since the last call, with their results, in the order they ended.
  std::vector<std::pair<int64_t, Generation>> TakeFinished();

  // Inside a hook: the forward's rows, in batch order.
  const std::vector<ForwardRow>& forward() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warden::engine
