// Continuation scoring: log p(continuation | context) for many requests, batched.
#include <algorithm>
#include <numeric>

#include "engine/transformer.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {

Result<std::vector<ContinuationScore>> ScoreContinuations(const Model& model,
                                                          const std::vector<ScoreRequest>& requests,
                                                          int64_t max_batch_tokens, const Hooks* hooks) {
  c10::InferenceMode inference;
  const int64_t n_ctx = model.config().n_ctx;
  std::vector<size_t> order(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const ScoreRequest& r = requests[i];
    if (r.context.empty() || r.continuation.empty()) {
      return Status::InvalidArgument("score request " + std::to_string(i) +
                                     " needs a non-empty context and continuation");
    }
    if (static_cast<int64_t>(r.context.size() + r.continuation.size()) - 1 > n_ctx) {
      return Status::InvalidArgument("score request " + std::to_string(i) + " is longer than the context of " +
                                     std::to_string(n_ctx));
    }
    order[i] = i;
  }
  auto input_len = [&](size_t i) {
    return static_cast<int64_t>(requests[i].context.size() + requests[i].continuation.size() - 1);
  };
  // Longest first, so each batch pads little.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return input_len(a) > input_len(b); });

  std::vector<ContinuationScore> out(requests.size());
  for (size_t start = 0; start < order.size();) {
    int64_t width = input_len(order[start]);
    size_t end = start + 1;
    while (end < order.size() && static_cast<int64_t>(end - start + 1) * width <= max_batch_tokens) ++end;

    std::vector<std::vector<int32_t>> inputs;
    for (size_t k = start; k < end; ++k) {
      const ScoreRequest& r = requests[order[k]];
      std::vector<int32_t> seq = r.context;
      seq.insert(seq.end(), r.continuation.begin(), r.continuation.end() - 1);
      inputs.push_back(std::move(seq));
    }
    ForwardBatch batch = ForwardBatch::LeftPadded(inputs, model.device());
    torch::Tensor logprobs = torch::log_softmax(model.Forward(batch, nullptr, hooks), -1);
    const int64_t T = batch.tokens.size(1);
    for (size_t k = start; k < end; ++k) {
      const ScoreRequest& r = requests[order[k]];
      const int64_t b = static_cast<int64_t>(k - start);
      const int64_t pad = T - static_cast<int64_t>(inputs[b].size());
      const int64_t first = pad + static_cast<int64_t>(r.context.size()) - 1;  // predicts cont[0]
      const int64_t n = static_cast<int64_t>(r.continuation.size());
      torch::Tensor rows = logprobs[b].narrow(0, first, n);  // [n, vocab]
      torch::Tensor targets = torch::tensor(std::vector<int64_t>(r.continuation.begin(), r.continuation.end()),
                                            torch::kLong).to(rows.device());
      torch::Tensor picked = rows.gather(1, targets.view({n, 1})).view({n}).to(torch::kCPU);
      torch::Tensor argmax = rows.argmax(1).to(torch::kCPU);
      ContinuationScore& s = out[order[k]];
      s.token_logprobs.assign(picked.data_ptr<float>(), picked.data_ptr<float>() + n);
      s.logprob = std::accumulate(s.token_logprobs.begin(), s.token_logprobs.end(), 0.0);
      s.greedy = torch::equal(argmax, targets.to(torch::kCPU));
    }
    start = end;
  }
  return out;
}

}  // namespace warden::engine
