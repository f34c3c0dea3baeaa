// Model: the forward pass driver (masking, positions, cache), initialisation and saving.
// Loading from files is in model_loading.cc.
#include "warden/engine/torch/model.h"

#include <sys/stat.h>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "engine/transformer.h"
#include "warden/base/file.h"
#include "warden/base/sha256.h"
#include "warden/engine/safetensors.h"

namespace warden::engine {

std::shared_ptr<CausalLmImpl> MakeArchitecture(const ModelConfig& config) {
  switch (config.arch) {
    case Arch::kLlama: return MakeLlama(config);
    case Arch::kQwen2: return MakeQwen2(config);
    case Arch::kGpt2: return MakeGpt2(config);
  }
  throw Error(Status::Unsupported("unknown architecture"));
}

ForwardBatch ForwardBatch::LeftPadded(const std::vector<std::vector<int32_t>>& sequences,
                                      torch::Device device) {
  int64_t B = static_cast<int64_t>(sequences.size()), T = 0;
  for (const auto& s : sequences) T = std::max<int64_t>(T, static_cast<int64_t>(s.size()));
  torch::Tensor tokens = torch::zeros({B, T}, torch::kLong);
  torch::Tensor positions = torch::zeros({B, T}, torch::kLong);
  torch::Tensor valid = torch::zeros({B, T}, torch::kBool);
  auto tok = tokens.accessor<int64_t, 2>();
  auto pos = positions.accessor<int64_t, 2>();
  auto val = valid.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t pad = T - static_cast<int64_t>(sequences[b].size());
    for (int64_t t = pad; t < T; ++t) {
      tok[b][t] = sequences[b][t - pad];
      pos[b][t] = t - pad;
      val[b][t] = true;
    }
  }
  return {tokens.to(device), positions.to(device), valid.to(device)};
}

namespace {

// Whether every flag is set, read in place on the CPU (a reduction and .item() otherwise).
bool AllTrue(const torch::Tensor& flags) {
  if (!flags.device().is_cpu() || flags.scalar_type() != torch::kBool || !flags.is_contiguous()) return flags.all().item<bool>();
  const bool* f = flags.data_ptr<bool>();
  return std::all_of(f, f + flags.numel(), [](bool x) { return x; });
}

}  // namespace

Model::~Model() = default;

torch::Tensor Model::Forward(const ForwardBatch& batch, KvCache* cache, const Hooks* hooks) const {
  TORCH_CHECK(batch.tokens.dim() == 2, "tokens must be [batch, pos]");
  if (hooks != nullptr && &hooks->points() != hook_points_.get()) {
    throw Error(Status::InvalidArgument("hooks were built for another model's hook points"));
  }
  const int64_t B = batch.tokens.size(0), T = batch.tokens.size(1);
  const int64_t past = cache != nullptr ? cache->length() : 0, S = past + T;
  if (cache != nullptr) TORCH_CHECK(cache->batch() == B, "cache batch ", cache->batch(), " != ", B);
  int64_t min_id = 0, max_id = 0;
  if (batch.tokens.device().is_cpu() && batch.tokens.scalar_type() == torch::kLong && batch.tokens.is_contiguous()) {
    // Read in place: two reductions and their .item() cost more than a small model's decode step.
    const int64_t* t = batch.tokens.data_ptr<int64_t>();
    if (batch.tokens.numel() > 0) min_id = max_id = t[0];
    for (int64_t i = 1; i < batch.tokens.numel(); ++i) min_id = std::min(min_id, t[i]), max_id = std::max(max_id, t[i]);
  } else {
    max_id = batch.tokens.max().item<int64_t>();
    min_id = batch.tokens.min().item<int64_t>();
  }
  if (max_id >= config_.vocab_size || min_id < 0) {
    throw Error(Status::InvalidArgument("token id " + std::to_string(max_id >= config_.vocab_size ? max_id : min_id) +
                                        " outside the vocabulary of " +
                                        std::to_string(config_.vocab_size)));
  }

  // Additive mask [batch, 1, pos, k_pos]: causal, minus left padding. A padding query still
  // sees itself, so no softmax row is all -inf. One new token attending to a cache without
  // padding needs no mask at all (the common decode step).
  torch::Tensor mask;
  bool unmasked_step = T == 1 && cache != nullptr && !cache->has_padding() && AllTrue(batch.valid);
  if (!unmasked_step) {
    auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device_);
    torch::Tensor key_valid = past > 0 ? torch::cat({cache->valid(), batch.valid}, 1) : batch.valid;
    torch::Tensor q_idx = torch::arange(past, S, long_opts).view({1, T, 1});
    torch::Tensor k_idx = torch::arange(S, long_opts).view({1, 1, S});
    torch::Tensor allowed = (k_idx <= q_idx) & key_valid.unsqueeze(1);
    if (batch.segments.defined()) {
      if (past > 0) throw Error(Status::InvalidArgument("document segments cannot be used with a filled cache"));
      torch::Tensor same = batch.segments.unsqueeze(2) == batch.segments.unsqueeze(1);  // [B, T, T]
      if (batch.prefix_len.defined()) same |= k_idx < batch.prefix_len.view({B, 1, 1});
      allowed &= same;
    }
    allowed |= k_idx == q_idx;
    mask = torch::zeros({B, 1, T, S}, torch::TensorOptions().dtype(dtype_).device(device_))
               .masked_fill_(allowed.logical_not().unsqueeze(1), -std::numeric_limits<float>::infinity());
  }

  ForwardContext ctx;
  ctx.points = hook_points_.get();
  ctx.hooks = (hooks != nullptr && hooks->any()) ? hooks : nullptr;
  ctx.cache = cache;
  ctx.positions = batch.positions;
  ctx.mask = mask;
  ctx.offset = past;
  ctx.decode = past > 0;
  ctx.transposed = transposed_.copies.empty() ? nullptr : &transposed_;
  ctx.fast_forward = fast_forward_;
  torch::Tensor logits = module_->Forward(batch.tokens, ctx);
  if (cache != nullptr) cache->Advance(batch.valid);
  return logits.scalar_type() == torch::kFloat ? logits : logits.to(torch::kFloat);
}

int64_t Model::KeepTransposedWeights(int64_t max_bytes) {
  c10::InferenceMode guard(false);  // copies of ordinary tensors, so that versions compare
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> weights;
  int64_t bytes = 0;
  for (const auto& p : module_->named_parameters()) {
    const torch::Tensor& w = p.value();
    if (w.dim() != 2 || w.scalar_type() != torch::kFloat || !w.device().is_cpu()) continue;
    weights.push_back(w);
    bytes += w.numel() * static_cast<int64_t>(sizeof(float));
  }
  if (bytes > max_bytes) return 0;
  for (const torch::Tensor& w : weights) {
    transposed_.copies[w.unsafeGetTensorImpl()] = {w.detach().t().contiguous(), w._version()};
  }
  return bytes;
}

KvCache Model::NewCache(int64_t batch, int64_t capacity) const {
  return KvCache(config_, batch, capacity, dtype_, device_);
}

std::unique_ptr<Model> Model::RandomInit(const ModelConfig& config, uint64_t seed,
                                         torch::ScalarType dtype, torch::Device device) {
  config.Validate().ThrowIfError();
  std::unique_ptr<Model> m(new Model());
  m->config_ = config;
  m->module_ = MakeArchitecture(config);
  {
    torch::NoGradGuard no_grad;
    // A generator of its own, not the process-wide one (torch::manual_seed): models initialised
    // on two threads at once (the zoo build's jobs) would otherwise interleave their draws. Same
    // seed, same numbers as the default generator after manual_seed(seed).
    at::Generator gen = at::detail::createCPUGenerator(seed);
    for (auto& p : m->module_->named_parameters()) {
      const std::string& name = p.key();
      bool norm = name.find("norm") != std::string::npos || name.find("ln_") != std::string::npos;
      if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
        p.value().zero_();
      } else if (norm) {
        p.value().fill_(1.0);
      } else {
        p.value().normal_(0.0, 0.02, gen);
      }
    }
  }
  m->module_->to(device, dtype);
  m->module_->eval();
  m->dtype_ = dtype;
  m->device_ = device;
  m->hook_points_ = std::make_unique<HookPoints>(config);
  return m;
}

Status Model::SaveHf(const std::string& dir, torch::ScalarType dtype) const {
  ::mkdir(dir.c_str(), 0755);
  if (!IsDirectory(dir)) return Status::IoError(dir + ": cannot create directory");
  nlohmann::json cfg = config_.ToHfConfigJson();
  cfg["torch_dtype"] = dtype == torch::kBFloat16 ? "bfloat16" : dtype == torch::kHalf ? "float16" : "float32";
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/config.json", cfg.dump(2) + "\n"));

  DType stored = dtype == torch::kBFloat16 ? DType::kBF16 : dtype == torch::kHalf ? DType::kF16 : DType::kF32;
  std::vector<torch::Tensor> keep_alive;
  std::vector<TensorToWrite> tensors;
  for (const auto& p : module_->named_parameters()) {
    torch::Tensor t = p.value().detach().to(torch::kCPU, dtype).contiguous();
    keep_alive.push_back(t);
    tensors.push_back({p.key(), stored, t.sizes().vec(), t.data_ptr(),
                       static_cast<uint64_t>(t.numel() * t.element_size())});
  }
  return WriteSafetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
}

Result<std::string> Model::WeightsSha256() const {
  std::lock_guard<std::mutex> lock(sha256_mutex_);
  if (!sha256_.empty()) return sha256_;
  if (source_format_ == "memory") {
    Sha256 h;
    for (const auto& p : module_->named_parameters()) {
      torch::Tensor t = p.value().detach().to(torch::kCPU).contiguous();
      h.Update(p.key());
      h.Update(t.data_ptr(), t.numel() * t.element_size());
    }
    sha256_ = h.HexDigest();
  } else if (weight_files_.size() == 1) {
    WARDEN_ASSIGN_OR_RETURN(sha256_, Sha256File(weight_files_[0]));
  } else {
    Sha256 h;
    for (const std::string& f : weight_files_) {
      WARDEN_ASSIGN_OR_RETURN(std::string one, Sha256File(f));
      h.Update(f.substr(f.find_last_of('/') + 1) + " " + one + "\n");
    }
    sha256_ = h.HexDigest();
  }
  return sha256_;
}

}  // namespace warden::engine
