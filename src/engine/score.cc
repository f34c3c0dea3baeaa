// Continuation scoring: log p(continuation | context) for many requests, batched.
//
// Requests with the same context (the choices of one multiple-choice item) share one row: the
// context once, then each continuation (less its last token) as a segment that sees the context
// and itself, its positions continuing the context's (ForwardBatch::prefix_len). The context is
// run once instead of once per continuation, and only the positions that predict a
// continuation's tokens go through the log-softmax.
#include <algorithm>
#include <map>
#include <numeric>

#include "engine/transformer.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {
namespace {

// One packed row: a context and the requests that continue it.
struct Row {
  const std::vector<int32_t>* context = nullptr;
  std::vector<size_t> requests;  // indices into the request list
  int64_t length = 0;            // context + sum of (continuation - 1)
};

}  // namespace

Result<std::vector<ContinuationScore>> ScoreContinuations(const Model& model,
                                                          const std::vector<ScoreRequest>& requests,
                                                          int64_t max_batch_tokens, const Hooks* hooks) {
  c10::InferenceMode inference;
  const int64_t n_ctx = model.config().n_ctx;
  std::vector<Row> rows;
  std::map<std::vector<int32_t>, size_t> row_of_context;
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
    const int64_t extra = static_cast<int64_t>(r.continuation.size()) - 1;
    auto it = row_of_context.find(r.context);
    // A row may hold at most n_ctx positions (rotary tables and learned positions stop there;
    // positions inside a row never exceed context + one continuation, but keep rows modest).
    if (it != row_of_context.end() && rows[it->second].length + extra <= std::max<int64_t>(n_ctx, 1)) {
      rows[it->second].requests.push_back(i);
      rows[it->second].length += extra;
      continue;
    }
    row_of_context[r.context] = rows.size();
    rows.push_back({&r.context, {i}, static_cast<int64_t>(r.context.size()) + extra});
  }
  // Longest first, so each batch pads little.
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a].length > rows[b].length; });

  std::vector<ContinuationScore> out(requests.size());
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong);
  for (size_t start = 0; start < order.size();) {
    const int64_t width = rows[order[start]].length;
    size_t end = start + 1;
    while (end < order.size() && static_cast<int64_t>(end - start + 1) * width <= max_batch_tokens) ++end;
    const int64_t B = static_cast<int64_t>(end - start);
    // Right-padded rows; padding is its own segment (-1) and invalid.
    torch::Tensor tokens = torch::zeros({B, width}, long_opts);
    torch::Tensor positions = torch::zeros({B, width}, long_opts);
    torch::Tensor segments = torch::full({B, width}, -1, long_opts);
    torch::Tensor valid = torch::zeros({B, width}, torch::TensorOptions().dtype(torch::kBool));
    torch::Tensor prefix = torch::zeros({B}, long_opts);
    auto tok = tokens.accessor<int64_t, 2>();
    auto pos = positions.accessor<int64_t, 2>();
    auto seg = segments.accessor<int64_t, 2>();
    auto val = valid.accessor<bool, 2>();
    // For every request: the (row, column) of the logits predicting each continuation token.
    std::vector<std::vector<std::pair<int64_t, int64_t>>> where(requests.size());
    for (int64_t b = 0; b < B; ++b) {
      const Row& row = rows[order[start + static_cast<size_t>(b)]];
      const int64_t P = static_cast<int64_t>(row.context->size());
      for (int64_t t = 0; t < P; ++t) {
        tok[b][t] = (*row.context)[static_cast<size_t>(t)];
        pos[b][t] = t;
        seg[b][t] = 0;
        val[b][t] = true;
      }
      prefix[b] = P;
      int64_t col = P;
      for (size_t j = 0; j < row.requests.size(); ++j) {
        const std::vector<int32_t>& cont = requests[row.requests[j]].continuation;
        auto& w = where[row.requests[j]];
        w.push_back({b, P - 1});  // the context's last token predicts cont[0]
        for (size_t t = 0; t + 1 < cont.size(); ++t, ++col) {
          tok[b][col] = cont[t];
          pos[b][col] = P + static_cast<int64_t>(t);
          seg[b][col] = static_cast<int64_t>(j) + 1;
          val[b][col] = true;
          w.push_back({b, col});  // cont[t] predicts cont[t + 1]
        }
      }
    }
    ForwardBatch batch;
    batch.tokens = tokens.to(model.device());
    batch.positions = positions.to(model.device());
    batch.valid = valid.to(model.device());
    batch.segments = segments.to(model.device());
    batch.prefix_len = prefix.to(model.device());
    const torch::Tensor logits = model.Forward(batch, nullptr, hooks);  // [B, width, vocab]
    // Only the predicting positions, gathered, then normalised.
    std::vector<int64_t> flat_index, target;
    std::vector<size_t> owner;
    for (size_t k = start; k < end; ++k) {
      for (size_t i : rows[order[k]].requests) {
        const std::vector<int32_t>& cont = requests[i].continuation;
        for (size_t t = 0; t < cont.size(); ++t) {
          flat_index.push_back(where[i][t].first * width + where[i][t].second);
          target.push_back(cont[t]);
          owner.push_back(i);
        }
      }
    }
    const int64_t n = static_cast<int64_t>(flat_index.size());
    torch::Tensor picked_rows =
        logits.view({B * width, -1}).index_select(0, torch::tensor(flat_index, long_opts).to(logits.device()));
    torch::Tensor lp = torch::log_softmax(picked_rows, -1);
    torch::Tensor targets = torch::tensor(target, long_opts).to(lp.device());
    torch::Tensor picked = lp.gather(1, targets.view({n, 1})).view({n}).to(torch::kCPU).contiguous();
    torch::Tensor greedy = (lp.argmax(1) == targets).to(torch::kCPU).contiguous();
    const float* p = picked.data_ptr<float>();
    const bool* g = greedy.data_ptr<bool>();
    for (int64_t k = 0; k < n; ++k) {
      ContinuationScore& s = out[owner[static_cast<size_t>(k)]];
      if (s.token_logprobs.empty()) s.greedy = true;
      s.token_logprobs.push_back(p[k]);
      s.logprob += p[k];
      s.greedy = s.greedy && g[k];
    }
    start = end;
  }
  return out;
}

}  // namespace warden::engine
