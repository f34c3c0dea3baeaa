// Batched generation: every prompt joins a BatchDecoder at once (one left-padded prefill), then
// one decode step per token for the rows still running.
#include <algorithm>

#include "warden/engine/torch/batch_decoder.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {

Result<std::vector<Generation>> Generate(const Model& model,
                                         const std::vector<std::vector<int32_t>>& prompts,
                                         const SamplingOptions& opts, const Hooks* hooks,
                                         const TokenCallback& on_token) {
  if (prompts.empty()) return std::vector<Generation>{};
  if (opts.max_new_tokens < 0) return Status::InvalidArgument("max_new_tokens must be >= 0");
  int64_t longest = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) return Status::InvalidArgument("prompt " + std::to_string(i) + " is empty");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompts[i].size()));
  }
  const int64_t B = static_cast<int64_t>(prompts.size());
  // Every row starts at once, so the cache never needs more than this.
  BatchDecoder decoder(model, B, std::min<int64_t>(model.config().n_ctx, longest + opts.max_new_tokens));
  for (int64_t b = 0; b < B; ++b) {
    Result<int64_t> id = decoder.Add({prompts[b], opts, static_cast<uint64_t>(b)});
    if (!id.ok()) return id.status();
  }
  while (decoder.rows() > 0) WARDEN_RETURN_IF_ERROR(decoder.Step(hooks, on_token));
  std::vector<Generation> out(B);
  for (auto& [id, gen] : decoder.TakeFinished()) out[id] = std::move(gen);
  return out;
}

}  // namespace warden::engine
