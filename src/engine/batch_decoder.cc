// Continuous batching (batch_decoder.h): rows join after a prefill of their own and leave when
// they end; the batch's rows are always [0, rows) of one KV cache.
#include "warden/engine/torch/batch_decoder.h"

#include <algorithm>
#include <deque>
#include <optional>

#include "engine/transformer.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {
namespace {

struct Row {
  int64_t id = 0;
  SamplingOptions options;  // before sampler: the sampler keeps a reference to it
  std::optional<TokenSampler> sampler;
  Generation out;
  std::string raw;    // decoded bytes so far (for stop strings)
  int32_t next = 0;   // the sampled token not yet fed
  bool done = false;
};

// Cuts `raw` at the first stop string, if any appeared; returns true if one did.
bool HitStop(std::string& raw, const std::vector<std::string>& stops, size_t scan_from) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    size_t from = scan_from >= s.size() ? scan_from - s.size() + 1 : 0;
    size_t at = raw.find(s, from);
    if (at != std::string::npos) best = std::min(best, at);
  }
  if (best == std::string::npos) return false;
  raw.resize(best);
  return true;
}

}  // namespace

struct BatchDecoder::Impl {
  const Model& model;
  int64_t max_rows, capacity;  // capacity: the most KV slots per row the cache may grow to
  int32_t eos;
  int64_t next_id = 0;
  std::optional<KvCache> cache;                 // rows [0, batch.size()) are `batch`, in order
  std::optional<KvCache> staging;               // newcomers' prefill, reused (it only grows)
  std::vector<std::unique_ptr<Row>> batch;      // in the cache
  std::vector<std::unique_ptr<Row>> joining;    // added, not yet prefilled
  std::vector<std::pair<int64_t, Generation>> finished;
  std::vector<ForwardRow> forward;

  void Finish(Row& r, const std::string& reason) {
    r.done = true;
    r.out.finish_reason = reason;
  }
  // Samples row `b` of `logits`/`logprobs` [rows, vocab] (CPU, contiguous) for `r`, applies the
  // stopping rules, and announces the token. Returns whether the row goes on.
  bool Sample(Row& r, const float* logits, const float* logprobs, const TokenCallback& on_token);
  // Samples every row of `rows` from the last position of `logits` [rows, pos, vocab], in order.
  void SampleAll(const std::vector<std::unique_ptr<Row>>& rows, const torch::Tensor& logits, const TokenCallback& on_token) {
    const torch::Tensor last = logits.select(1, -1).to(torch::kFloat);
    const torch::Tensor logprobs = torch::log_softmax(last, -1).to(torch::kCPU).contiguous();
    const torch::Tensor cpu = last.to(torch::kCPU).contiguous();
    const int64_t V = cpu.size(1);
    for (size_t j = 0; j < rows.size(); ++j) {
      Sample(*rows[j], cpu.data_ptr<float>() + j * V, logprobs.data_ptr<float>() + j * V, on_token);
    }
  }
  // Moves the ended rows of the batch to `finished` (swap-remove in the cache).
  void Retire();
  void Emit(Row& r) {
    if (model.tokenizer() != nullptr) {
      Utf8Streamer utf8;
      r.out.text = utf8.Push(r.raw) + utf8.Flush();
    }
    finished.emplace_back(r.id, std::move(r.out));
  }
  void FinishAll(const std::string& reason);
  // Makes the batch's cache hold at least `slots` slots per row: allocated small, it doubles as
  // rows need more, up to `capacity` (so that memory follows what the rows use, not the
  // model's context). Returns false when `slots` is beyond `capacity`.
  bool Room(int64_t slots) {
    if (slots > capacity) return false;
    if (!cache) {
      cache.emplace(model.NewCache(max_rows, std::min(capacity, std::max<int64_t>(slots, 32))));
    } else if (slots > cache->capacity()) {
      cache->Reserve(std::min(capacity, std::max(slots, 2 * cache->capacity())));
    }
    return true;
  }
  Status Decode(const Hooks* hooks, const TokenCallback& on_token);
  Status Prefill(const Hooks* hooks, const TokenCallback& on_token);
};

bool BatchDecoder::Impl::Sample(Row& r, const float* logits, const float* logprobs, const TokenCallback& on_token) {
  const int64_t vocab = model.config().vocab_size;
  const int32_t id = r.sampler->Sample(logits, vocab);
  const float lp = logprobs[id];
  const int32_t prev = r.out.tokens.empty() ? r.out.prompt.back() : r.out.tokens.back();
  r.out.tokens.push_back(id);
  r.out.logprobs.push_back(lp);
  r.next = id;
  if (r.options.stop_at_eos && id == eos) {
    Finish(r, "eos");
  } else {
    const size_t before = r.raw.size();
    if (const Tokenizer* tok = model.tokenizer()) r.raw += tok->TokenBytes(id, prev);
    if (HitStop(r.raw, r.options.stop, before)) Finish(r, "stop");
  }
  if (!r.done && on_token && !on_token(r.id, id, lp)) Finish(r, "cut");
  if (!r.done && static_cast<int64_t>(r.out.tokens.size()) >= r.options.max_new_tokens) Finish(r, "length");
  return !r.done;
}

void BatchDecoder::Impl::Retire() {
  for (size_t b = 0; b < batch.size();) {
    if (!batch[b]->done) {
      ++b;
      continue;
    }
    Emit(*batch[b]);
    const size_t last = batch.size() - 1;
    if (b != last) {
      cache->MoveRow(static_cast<int64_t>(last), static_cast<int64_t>(b));
      batch[b] = std::move(batch[last]);
    }
    batch.pop_back();
    cache->SetBatch(static_cast<int64_t>(batch.size()));
  }
}

void BatchDecoder::Impl::FinishAll(const std::string& reason) {
  for (auto* rows : {&batch, &joining}) {
    for (auto& r : *rows) {
      if (!r->done) Finish(*r, reason);
    }
  }
  for (auto& r : joining) batch.push_back(std::move(r));
  joining.clear();
  if (cache) cache->SetBatch(0);
  for (auto& r : batch) Emit(*r);
  batch.clear();
}

Status BatchDecoder::Impl::Decode(const Hooks* hooks, const TokenCallback& on_token) {
  const int64_t n_ctx = model.config().n_ctx;
  for (auto& r : batch) {  // a token at position n_ctx cannot be fed
    if (static_cast<int64_t>(r->out.prompt.size() + r->out.tokens.size()) > n_ctx) Finish(*r, "context");
  }
  Retire();
  const int64_t B = static_cast<int64_t>(batch.size());
  if (B == 0) return Status::Ok();
  if (cache->length() + 1 > cache->capacity()) {
    cache->Compact();
    // Little room left even so: grow as well, so that compaction does not come back every step.
    const int64_t want = cache->length() + 1 + cache->capacity() / 4;
    if (want > cache->capacity()) Room(std::min(want, capacity));
  }
  if (!Room(cache->length() + 1)) {  // only with a capacity below the context
    for (auto& r : batch) Finish(*r, "context");
    Retire();
    return Status::Ok();
  }

  std::vector<int64_t> tokens(B), positions(B);
  forward.clear();
  for (int64_t b = 0; b < B; ++b) {
    const Row& r = *batch[b];
    tokens[b] = r.next;
    positions[b] = static_cast<int64_t>(r.out.prompt.size() + r.out.tokens.size()) - 1;
    forward.push_back({r.id, static_cast<int64_t>(r.out.prompt.size()), static_cast<int64_t>(r.out.tokens.size()) - 1});
  }
  ForwardBatch fb;
  fb.tokens = torch::tensor(tokens, torch::kLong).view({B, 1}).to(model.device());
  fb.positions = torch::tensor(positions, torch::kLong).view({B, 1}).to(model.device());
  fb.valid = torch::ones({B, 1}, torch::TensorOptions().dtype(torch::kBool).device(model.device()));
  const torch::Tensor logits = model.Forward(fb, &*cache, hooks);
  forward.clear();
  SampleAll(batch, logits, on_token);
  Retire();
  return Status::Ok();
}

Status BatchDecoder::Impl::Prefill(const Hooks* hooks, const TokenCallback& on_token) {
  if (joining.empty()) return Status::Ok();
  std::vector<std::unique_ptr<Row>> rows = std::move(joining);
  joining.clear();
  std::vector<std::vector<int32_t>> prompts;
  forward.clear();
  int64_t longest = 0;
  for (const auto& r : rows) {
    prompts.push_back(r->out.prompt);
    forward.push_back({r->id, static_cast<int64_t>(r->out.prompt.size()), -1});
    longest = std::max<int64_t>(longest, static_cast<int64_t>(r->out.prompt.size()));
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  // With no rows running, the newcomers are prefilled straight into the batch's cache.
  const bool direct = batch.empty();
  if (direct) {
    if (!Room(longest)) return Status::Internal("a prompt of " + std::to_string(longest) + " tokens exceeds the KV capacity");
    cache->Clear();
    cache->SetBatch(n);
  } else {
    if (!staging || staging->max_rows() < n || staging->capacity() < longest) {
      const int64_t rows = std::max(n, staging ? staging->max_rows() : 0);
      const int64_t slots = std::max(longest, staging ? staging->capacity() : 0);
      staging.reset();
      staging.emplace(model.NewCache(rows, slots));
    }
    staging->Clear();
    staging->SetBatch(n);
  }
  KvCache& target = direct ? *cache : *staging;
  ForwardBatch fb = ForwardBatch::LeftPadded(prompts, model.device());
  const torch::Tensor logits = model.Forward(fb, &target, hooks);
  forward.clear();
  SampleAll(rows, logits, on_token);
  if (!direct) {
    const int64_t running = static_cast<int64_t>(batch.size());
    if (!Room(longest)) return Status::Internal("the KV cache cannot hold the new prompts");
    if (cache->length() < longest) cache->Extend(longest);
    cache->SetBatch(running + n);
    for (int64_t j = 0; j < n; ++j) cache->Adopt(running + j, *staging, j);
  }
  for (auto& r : rows) batch.push_back(std::move(r));
  Retire();
  return Status::Ok();
}

BatchDecoder::BatchDecoder(const Model& model, int64_t max_rows, int64_t capacity)
    : impl_(std::make_unique<Impl>(Impl{model, std::max<int64_t>(1, max_rows),
                                        capacity > 0 ? capacity : 2 * model.config().n_ctx,
                                        0})) {
  const Tokenizer* tok = model.tokenizer();
  impl_->eos = tok != nullptr && tok->eos_id() >= 0 ? tok->eos_id() : static_cast<int32_t>(model.config().eos_token_id);
}

BatchDecoder::~BatchDecoder() = default;

Result<int64_t> BatchDecoder::Add(DecodeRequest request) {
  Impl& im = *impl_;
  const SamplingOptions& o = request.options;
  if (o.max_new_tokens < 0) return Status::InvalidArgument("max_new_tokens must be >= 0");
  if (o.temperature < 0 || o.top_p <= 0 || o.top_p > 1 || o.top_k < 0) {
    return Status::InvalidArgument("sampling needs temperature >= 0, 0 < top_p <= 1, top_k >= 0");
  }
  if (request.prompt.empty()) return Status::InvalidArgument("the prompt is empty");
  if (static_cast<int64_t>(request.prompt.size()) >= im.model.config().n_ctx) {
    return Status::InvalidArgument("prompt of " + std::to_string(request.prompt.size()) +
                                   " tokens does not fit the context of " + std::to_string(im.model.config().n_ctx));
  }
  if (rows() >= im.max_rows) return Status::ResourceExhausted("the batch is full (" + std::to_string(im.max_rows) + " rows)");
  auto r = std::make_unique<Row>();
  r->id = im.next_id++;
  r->options = std::move(request.options);
  r->sampler.emplace(r->options, request.stream);
  r->out.prompt = std::move(request.prompt);
  const int64_t id = r->id;
  if (r->options.max_new_tokens == 0) {  // nothing to generate: ends without a forward
    r->out.finish_reason = "length";
    im.finished.emplace_back(id, std::move(r->out));
    return id;
  }
  im.joining.push_back(std::move(r));
  return id;
}

int64_t BatchDecoder::rows() const { return static_cast<int64_t>(impl_->batch.size() + impl_->joining.size()); }
int64_t BatchDecoder::max_rows() const { return impl_->max_rows; }
const std::vector<ForwardRow>& BatchDecoder::forward() const { return impl_->forward; }

std::vector<std::pair<int64_t, Generation>> BatchDecoder::TakeFinished() { return std::exchange(impl_->finished, {}); }

Status BatchDecoder::Step(const Hooks* hooks, const TokenCallback& on_token) {
  c10::InferenceMode inference;
  Impl& im = *impl_;
  Status st = Status::Ok();
  try {
    st = im.Decode(hooks, on_token);
    if (st.ok()) st = im.Prefill(hooks, on_token);
  } catch (const Error& e) {
    st = e.status();
  } catch (const std::exception& e) {
    st = Status::Internal(std::string("decode step failed: ") + e.what());
  }
  im.forward.clear();
  if (!st.ok()) im.FinishAll("error");
  return st;
}

}  // namespace warden::engine
