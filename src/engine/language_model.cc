#include "warden/engine/language_model.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include "engine/transformer.h"
#include "warden/engine/safetensors.h"
#include "warden/engine/torch/generate.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {
namespace {

// Runs f, turning what LibTorch or the engine throws into a Status: the facade never throws.
template <class F>
auto Guarded(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    return e.status();
  } catch (const c10::Error& e) {
    return Status::Internal(what + ": " + e.what_without_backtrace());
  }
}

}  // namespace

Result<std::unique_ptr<LanguageModel>> LanguageModel::Load(const LoadSpec& spec) {
  if (spec.threads > 0) torch::set_num_threads(spec.threads);
  LoadOptions opts;
  opts.tokenizer_path = spec.tokenizer;
  if (spec.dtype == "bf16") {
    opts.dtype = torch::kBFloat16;
  } else if (spec.dtype != "f32") {
    return Status::InvalidArgument("dtype must be f32 or bf16, not '" + spec.dtype + "'");
  }
  if (spec.device == "cuda") {
    if (!torch::cuda::is_available()) {
      return Status::Unsupported("device cuda: this LibTorch build has no usable CUDA device");
    }
    opts.device = torch::kCUDA;
  } else if (spec.device != "cpu") {
    return Status::InvalidArgument("device must be cpu or cuda, not '" + spec.device + "'");
  }
  return Guarded(spec.path, [&]() -> Result<std::unique_ptr<LanguageModel>> {
    WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Load(spec.path, opts));
    return std::make_unique<LanguageModel>(std::move(model));
  });
}

struct LanguageModel::NoiseState {
  std::vector<torch::Tensor> original;  // in named_parameters() order
};

LanguageModel::LanguageModel(std::unique_ptr<Model> model) : model_(std::move(model)) {}
LanguageModel::~LanguageModel() = default;

int64_t LanguageModel::KeepTransposedWeights(int64_t max_bytes) { return model_->KeepTransposedWeights(max_bytes); }

Status LanguageModel::SetWeightNoise(double relative_sigma, uint64_t seed) {
  if (!(relative_sigma >= 0) || !std::isfinite(relative_sigma)) {
    return Status::InvalidArgument("weight noise sigma must be finite and >= 0");
  }
  torch::NoGradGuard no_grad;
  auto params = model_->module().parameters();
  if (!noise_) {
    if (relative_sigma == 0) return Status::Ok();
    noise_ = std::make_unique<NoiseState>();
    for (const torch::Tensor& p : params) noise_->original.push_back(p.detach().clone());
  }
  auto gen = at::detail::createCPUGenerator(seed);
  for (size_t i = 0; i < params.size(); ++i) {
    torch::Tensor p = params[i];
    const torch::Tensor& w0 = noise_->original[i];
    if (relative_sigma == 0) {
      p.copy_(w0);
      continue;
    }
    const torch::Tensor w = w0.to(torch::kFloat);
    const double rms = w.pow(2).mean().sqrt().item<double>();
    torch::Tensor z = torch::randn(w.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat));
    p.copy_((w + z.mul(relative_sigma * rms)).to(p.device(), p.scalar_type()));
  }
  return Status::Ok();
}

const ModelConfig& LanguageModel::config() const { return model_->config(); }
const Tokenizer* LanguageModel::tokenizer() const { return model_->tokenizer(); }
const std::string& LanguageModel::format() const { return model_->source_format(); }
const std::map<std::string, int>& LanguageModel::stored_dtypes() const { return model_->stored_dtypes(); }
Result<std::string> LanguageModel::WeightsSha256() const { return model_->WeightsSha256(); }

Result<std::vector<Generation>> LanguageModel::Generate(
    const std::vector<std::vector<int32_t>>& prompts, const SamplingOptions& opts,
    const TokenCallback& on_token) const {
  return Guarded("generate", [&]() -> Result<std::vector<Generation>> {
    engine::Hooks hooks(model_->hook_points());
    for (const Steer& s : steering_) {
      WARDEN_RETURN_IF_ERROR(hooks.AddVector(s.hook, torch::tensor(s.vector).to(model_->device(), model_->dtype()), s.scale));
    }
    return engine::Generate(*model_, prompts, opts, steering_.empty() ? nullptr : &hooks, on_token);
  });
}

Result<std::vector<ContinuationScore>> LanguageModel::Score(const std::vector<ScoreRequest>& requests,
                                                            int64_t max_batch_tokens) const {
  return Guarded("score", [&]() -> Result<std::vector<ContinuationScore>> {
    engine::Hooks hooks(model_->hook_points());
    for (const Steer& s : steering_) {
      WARDEN_RETURN_IF_ERROR(hooks.AddVector(s.hook, torch::tensor(s.vector).to(model_->device(), model_->dtype()), s.scale));
    }
    return ScoreContinuations(*model_, requests, max_batch_tokens, steering_.empty() ? nullptr : &hooks);
  });
}

Status LanguageModel::AddSteering(const std::string& hook, std::vector<float> vector, double scale) {
  const HookPoints& points = model_->hook_points();
  WARDEN_ASSIGN_OR_RETURN(int id, points.Find(hook));
  const std::vector<int64_t> shape = points.Shape(id, 1, 1, 1);
  if (shape.empty() || static_cast<int64_t>(vector.size()) != shape.back()) {
    return Status::InvalidArgument("steering vector for " + hook + " has " + std::to_string(vector.size()) +
                                   " values; the hook's last axis has " + std::to_string(shape.empty() ? 0 : shape.back()));
  }
  if (!std::isfinite(scale)) return Status::InvalidArgument("steering scale must be finite");
  for (float v : vector) {
    if (!std::isfinite(v)) return Status::InvalidArgument("steering vector for " + hook + " holds a non-finite value");
  }
  steering_.push_back({hook, std::move(vector), scale});
  return Status::Ok();
}

void LanguageModel::ClearSteering() { steering_.clear(); }

Result<std::vector<HookInfo>> LanguageModel::Hooks(const std::string& pattern) const {
  const HookPoints& points = model_->hook_points();
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> ids, points.Match(pattern));
  std::vector<HookInfo> out;
  for (int id : ids) {
    HookInfo info{points.Name(id), {}};
    for (int64_t d : points.Shape(id, -1, -2, -3)) {
      info.shape.push_back(d == -1 ? "batch" : d == -2 ? "pos" : d == -3 ? "k_pos" : std::to_string(d));
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<CapturedTensor>> LanguageModel::CaptureToSafetensors(
    const std::vector<int32_t>& ids, const std::string& pattern, const std::string& out_path,
    std::map<std::string, std::string> metadata) const {
  if (ids.empty()) return Status::InvalidArgument("capture: no tokens to run");
  engine::Hooks hooks(model_->hook_points());
  ActivationCache cache;
  WARDEN_RETURN_IF_ERROR(hooks.Capture(pattern, &cache));
  WARDEN_RETURN_IF_ERROR(Guarded("capture", [&]() -> Status {
    c10::InferenceMode guard;
    model_->Forward(ForwardBatch::LeftPadded({ids}, model_->device()), nullptr, &hooks);
    return Status::Ok();
  }));
  std::vector<torch::Tensor> keep;
  std::vector<TensorToWrite> tensors;
  std::vector<CapturedTensor> written;
  for (const std::string& name : cache.Names()) {
    WARDEN_ASSIGN_OR_RETURN(torch::Tensor t, cache.Stacked(name));
    t = t.to(torch::kFloat).contiguous();
    keep.push_back(t);
    tensors.push_back({name, DType::kF32, t.sizes().vec(), t.data_ptr(),
                       static_cast<uint64_t>(t.numel()) * sizeof(float)});
    written.push_back({name, t.sizes().vec()});
  }
  WARDEN_ASSIGN_OR_RETURN(metadata["model_sha256"], model_->WeightsSha256());
  metadata["token_ids"] = nlohmann::json(ids).dump();
  metadata["hooks"] = pattern;
  WARDEN_RETURN_IF_ERROR(WriteSafetensors(out_path, tensors, metadata));
  return written;
}

}  // namespace warden::engine
