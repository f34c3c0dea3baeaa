// Batched generation: one left-padded prefill, then one decode step per token for every live
// row, sharing a KV cache.
#include <algorithm>

#include "engine/transformer.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {
namespace {

struct RowState {
  Generation out;
  std::string raw;       // decoded bytes so far (for stop strings)
  bool done = false;
};

// Cuts `row.raw` at the first stop string, if any appeared; returns true if one did.
bool HitStop(RowState& row, const std::vector<std::string>& stops, size_t scan_from) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    size_t from = scan_from >= s.size() ? scan_from - s.size() + 1 : 0;
    size_t at = row.raw.find(s, from);
    if (at != std::string::npos) best = std::min(best, at);
  }
  if (best == std::string::npos) return false;
  row.raw.resize(best);
  return true;
}

}  // namespace

Result<std::vector<Generation>> Generate(const Model& model,
                                         const std::vector<std::vector<int32_t>>& prompts,
                                         const SamplingOptions& opts, const Hooks* hooks,
                                         const TokenCallback& on_token) {
  c10::InferenceMode inference;
  const ModelConfig& c = model.config();
  if (prompts.empty()) return std::vector<Generation>{};
  if (opts.max_new_tokens < 0) return Status::InvalidArgument("max_new_tokens must be >= 0");
  if (opts.temperature < 0 || opts.top_p <= 0 || opts.top_p > 1 || opts.top_k < 0) {
    return Status::InvalidArgument("sampling needs temperature >= 0, 0 < top_p <= 1, top_k >= 0");
  }
  int64_t longest = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) return Status::InvalidArgument("prompt " + std::to_string(i) + " is empty");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompts[i].size()));
  }
  if (longest >= c.n_ctx) {
    return Status::InvalidArgument("prompt of " + std::to_string(longest) +
                                   " tokens does not fit the context of " + std::to_string(c.n_ctx));
  }
  const int64_t B = static_cast<int64_t>(prompts.size());
  const int64_t capacity = std::min<int64_t>(c.n_ctx, longest + opts.max_new_tokens);
  const Tokenizer* tok = model.tokenizer();
  const int32_t eos = tok != nullptr && tok->eos_id() >= 0 ? tok->eos_id()
                                                           : static_cast<int32_t>(c.eos_token_id);

  std::vector<RowState> rows(B);
  std::vector<TokenSampler> samplers;
  for (int64_t b = 0; b < B; ++b) {
    rows[b].out.prompt = prompts[b];
    samplers.emplace_back(opts, static_cast<uint64_t>(b));
  }
  KvCache cache = model.NewCache(B, capacity);
  ForwardBatch batch = ForwardBatch::LeftPadded(prompts, model.device());
  torch::Tensor next_pos = batch.positions.select(1, -1) + 1;  // [batch]
  int64_t live = B;

  for (int64_t step = 0; step < opts.max_new_tokens && live > 0; ++step) {
    if (cache.length() + batch.tokens.size(1) > capacity) {
      for (auto& r : rows) if (!r.done) r.done = true, r.out.finish_reason = "context";
      break;
    }
    torch::Tensor logits = model.Forward(batch, &cache, hooks).select(1, -1);  // [batch, vocab]
    torch::Tensor logprobs = torch::log_softmax(logits, -1).to(torch::kCPU).contiguous();
    torch::Tensor cpu_logits = logits.to(torch::kCPU).contiguous();
    std::vector<int64_t> next(B, 0);
    for (int64_t b = 0; b < B; ++b) {
      RowState& row = rows[b];
      if (row.done) continue;
      int32_t id = samplers[b].Sample(cpu_logits[b].data_ptr<float>(), c.vocab_size);
      float lp = logprobs[b][id].item<float>();
      next[b] = id;
      int32_t prev = row.out.tokens.empty() ? row.out.prompt.back() : row.out.tokens.back();
      row.out.tokens.push_back(id);
      row.out.logprobs.push_back(lp);
      if (opts.stop_at_eos && id == eos) {
        row.done = true, row.out.finish_reason = "eos";
      } else {
        size_t before = row.raw.size();
        if (tok != nullptr) row.raw += tok->TokenBytes(id, prev);
        if (HitStop(row, opts.stop, before)) row.done = true, row.out.finish_reason = "stop";
      }
      if (!row.done && on_token && !on_token(b, id, lp)) row.done = true, row.out.finish_reason = "cut";
      if (row.done) --live;
    }
    batch.tokens = torch::tensor(next, torch::kLong).view({B, 1}).to(model.device());
    batch.positions = next_pos.view({B, 1});
    batch.valid = torch::ones({B, 1}, torch::TensorOptions().dtype(torch::kBool).device(model.device()));
    next_pos = next_pos + 1;
  }
  std::vector<Generation> out;
  for (auto& row : rows) {
    if (!row.done) row.out.finish_reason = "length";
    if (tok != nullptr) {
      Utf8Streamer utf8;
      row.out.text = utf8.Push(row.raw) + utf8.Flush();
    }
    out.push_back(std::move(row.out));
  }
  return out;
}

}  // namespace warden::engine
