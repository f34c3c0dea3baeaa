// The training loop: AdamW, warm-up + cosine schedule, clipping, masked loss, evaluation and
// checkpoints. The contract is in warden/engine/train.h; the checkpoint layout in checkpoint.h.
#include "engine/torch_pch.h"

#include <chrono>
#include <cmath>
#include <optional>

#include "engine/train/batches.h"
#include "engine/train/checkpoint.h"
#include "engine/transformer.h"
#include "warden/base/file.h"
#include "warden/engine/train.h"

namespace warden::engine {

const char* BatchingName(Batching b) {
  switch (b) {
    case Batching::kPadded: return "padded";
    case Batching::kPacked: return "packed";
    case Batching::kIsolated: return "isolated";
  }
  return "padded";
}

Result<Batching> BatchingFromName(const std::string& name) {
  if (name == "padded") return Batching::kPadded;
  if (name == "packed") return Batching::kPacked;
  if (name == "isolated") return Batching::kIsolated;
  return Status::InvalidArgument("batching '" + name + "' is not 'padded', 'packed' or 'isolated'");
}

double LearningRateAt(const TrainOptions& o, int64_t step) {
  if (step < o.warmup_steps) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const int64_t decay_steps = std::max<int64_t>(1, o.steps - o.warmup_steps - 1);
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / decay_steps);
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * progress));
}

double TrainingFlopsPerToken(const ModelConfig& c, int64_t seq_len) {
  return 6.0 * static_cast<double>(c.ParameterCount()) +
         6.0 * static_cast<double>(c.n_layers) * static_cast<double>(seq_len) * static_cast<double>(c.d_model);
}

namespace train {
namespace {

Status ValidateOptions(const TrainOptions& o, const ModelConfig& c) {
  auto bad = [](const std::string& field, const std::string& why) {
    return Status::InvalidArgument("training option " + field + " " + why);
  };
  if (o.steps <= 0) return bad("steps", "must be positive");
  if (o.batch_size <= 0) return bad("batch_size", "must be positive");
  if (o.seq_len < 2 || o.seq_len > c.n_ctx) {
    return bad("seq_len", "must be in [2, n_ctx = " + std::to_string(c.n_ctx) + "], not " + std::to_string(o.seq_len));
  }
  if (!(o.lr > 0) || !std::isfinite(o.lr)) return bad("lr", "must be positive");
  if (!(o.min_lr >= 0) || o.min_lr > o.lr) return bad("min_lr", "must be in [0, lr]");
  if (o.warmup_steps < 0) return bad("warmup_steps", "must not be negative");
  if (!(o.weight_decay >= 0)) return bad("weight_decay", "must not be negative");
  if (!(o.beta1 >= 0 && o.beta1 < 1)) return bad("beta1", "must be in [0, 1)");
  if (!(o.beta2 >= 0 && o.beta2 < 1)) return bad("beta2", "must be in [0, 1)");
  if (!(o.adam_eps > 0)) return bad("adam_eps", "must be positive");
  if (!(o.grad_clip >= 0)) return bad("grad_clip", "must not be negative");
  if (o.eval_every < 0 || o.checkpoint_every < 0) return bad("eval_every/checkpoint_every", "must not be negative");
  if (o.stop_after < 0 || o.stop_after > o.steps) return bad("stop_after", "must be in [0, steps]");
  if (o.threads < 0) return bad("threads", "must not be negative");
  return Status::Ok();
}

// Decay on matrices (embeddings and projections) only: decaying norm gains and biases
// towards 0 fights the model's own scale.
std::unique_ptr<torch::optim::AdamW> MakeOptimizer(CausalLmImpl& m, const TrainOptions& o) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const torch::Tensor& p : m.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  auto opts = torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.adam_eps).weight_decay(o.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(opts));
  if (!no_decay.empty()) {
    auto plain = opts;
    plain.weight_decay(0.0);
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(plain));
  }
  return std::make_unique<torch::optim::AdamW>(std::move(groups), opts);
}

// Sum over target tokens of -log p(token | prefix): position t's logits predict token t + 1.
torch::Tensor SummedNll(const torch::Tensor& logits, const TrainBatch& b) {
  const int64_t V = logits.size(-1);
  torch::Tensor pred = logits.slice(1, 0, -1).reshape({-1, V});          // [batch * (pos-1), vocab]
  torch::Tensor target = b.input.tokens.slice(1, 1).reshape({-1});       // [batch * (pos-1)]
  torch::Tensor weight = b.weights.slice(1, 1).reshape({-1});            // [batch * (pos-1)]
  torch::Tensor nll = torch::nn::functional::cross_entropy(
      pred, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return (nll * weight).sum();
}

double Evaluate(const Model& model, Batcher& eval, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  double nll = 0;
  int64_t targets = 0;
  for (const TrainBatch& b : eval.InOrder(batch_size)) {
    nll += SummedNll(model.Forward(b.input), b).item<double>();
    targets += b.targets;
  }
  return nll / static_cast<double>(targets);
}

double GradNorm(const std::vector<torch::Tensor>& params, double clip) {
  if (clip > 0) return torch::nn::utils::clip_grad_norm_(params, clip);
  double sq = 0;
  for (const auto& p : params) {
    if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
  }
  return std::sqrt(sq);
}

struct Loop {
  Model& model;
  torch::optim::AdamW& optimizer;
  Batcher& train;
  Batcher* eval;  // null: no eval set
  TrainState state;
  const TrainCallback& on_step;
};

// One optimizer step; returns its progress record (without evaluation).
Result<TrainProgress> Step(Loop& run) {
  const TrainOptions& o = run.state.options;
  const int64_t s = run.state.step;
  auto start = std::chrono::steady_clock::now();
  TrainBatch b = run.train.ForStep(s, o.batch_size);
  const double lr = LearningRateAt(o, s);
  for (auto& group : run.optimizer.param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  }
  run.optimizer.zero_grad();
  // A packed batch can hold no target at all (sparse masks cut mid-document): its loss is 0 and
  // its gradient zero, and the step still counts, so the schedule and resume stay aligned.
  torch::Tensor loss = SummedNll(run.model.Forward(b.input), b) /
                       static_cast<double>(std::max<int64_t>(b.targets, 1));
  const double loss_value = loss.item<double>();
  if (!std::isfinite(loss_value)) {
    return Status::Internal("training diverged at step " + std::to_string(s + 1) + ": loss is " +
                            std::to_string(loss_value) + " (try a lower lr)");
  }
  loss.backward();
  TrainProgress p;
  p.grad_norm = GradNorm(run.model.module().parameters(), o.grad_clip);
  run.optimizer.step();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;

  TrainState& st = run.state;
  st.step = s + 1;
  st.tokens_seen += b.tokens;
  st.target_tokens += b.targets;
  st.flops += static_cast<double>(b.tokens) * TrainingFlopsPerToken(run.model.config(), b.row_len);
  st.last_loss = loss_value;
  p.step = st.step;
  p.loss = loss_value;
  p.lr = lr;
  p.tokens_per_s = static_cast<double>(b.tokens) / std::max(took.count(), 1e-9);
  p.tokens_seen = st.tokens_seen;
  p.flops = st.flops;
  return p;
}

Result<TrainResult> RunLoop(Loop& run) {
  const TrainOptions& o = run.state.options;
  const int64_t end = o.stop_after > 0 ? o.stop_after : o.steps;
  if (run.state.step >= end) {
    return Status::InvalidArgument("the run is already at step " + std::to_string(run.state.step) +
                                   " of " + std::to_string(end) + "; ask for more steps");
  }
  TrainResult result;
  while (run.state.step < end) {
    WARDEN_ASSIGN_OR_RETURN(TrainProgress p, Step(run));
    result.losses.push_back(p.loss);
    const bool last = p.step == end;
    if (run.eval != nullptr && (last || (o.eval_every > 0 && p.step % o.eval_every == 0))) {
      p.eval_loss = run.state.last_eval_loss = Evaluate(run.model, *run.eval, o.batch_size);
      result.eval_losses.emplace_back(p.step, p.eval_loss);
    }
    if (!o.out_dir.empty() && (last || (o.checkpoint_every > 0 && p.step % o.checkpoint_every == 0))) {
      result.checkpoint = CheckpointDir(o.out_dir, p.step);
      WARDEN_RETURN_IF_ERROR(WriteCheckpoint(result.checkpoint, run.model, run.optimizer, run.state));
    }
    if (run.on_step) run.on_step(p);
  }
  result.state = run.state;
  return result;
}

// Trains `model` from `state` (a fresh state, or one read from `resume_dir`'s checkpoint).
Result<TrainResult> Train(Model& model, TrainState state, const std::string& resume_dir,
                          const std::vector<TrainExample>& train, const std::vector<TrainExample>& eval,
                          const TrainCallback& on_step) {
  const TrainOptions& o = state.options;
  WARDEN_RETURN_IF_ERROR(ValidateOptions(o, model.config()));
  if (model.dtype() != torch::kFloat) return Status::Unsupported("training needs an fp32 model");
  if (o.threads > 0) torch::set_num_threads(o.threads);
  const int64_t vocab = model.config().vocab_size;
  WARDEN_ASSIGN_OR_RETURN(Batcher train_batches, Batcher::Make(train, o.batching, o.seq_len, vocab, o.seed, "training"));
  std::optional<Batcher> eval_batches;
  if (!eval.empty()) {
    WARDEN_ASSIGN_OR_RETURN(eval_batches, Batcher::Make(eval, o.batching, o.seq_len, vocab, o.seed, "eval"));
  }
  model.module().train();
  auto optimizer = MakeOptimizer(model.module(), o);
  if (!resume_dir.empty()) WARDEN_RETURN_IF_ERROR(LoadOptimizerState(resume_dir, model, *optimizer));
  Loop run{model, *optimizer, train_batches, eval_batches ? &*eval_batches : nullptr, std::move(state), on_step};
  Result<TrainResult> result = RunLoop(run);
  model.module().eval();
  return result;
}

// Exceptions from LibTorch or the model stop here and become a Status (STYLE.md).
template <class F>
Result<TrainResult> Guarded(F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    return e.status();
  } catch (const c10::Error& e) {
    return Status::Internal(std::string("training: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("training: ") + e.what());
  }
}

}  // namespace
}  // namespace train

Result<TrainResult> TrainFromScratch(const ModelConfig& config, const std::vector<TrainExample>& train,
                                     const std::vector<TrainExample>& eval, const TrainOptions& opts,
                                     const TrainCallback& on_step) {
  WARDEN_RETURN_IF_ERROR(config.Validate());
  WARDEN_RETURN_IF_ERROR(train::ValidateOptions(opts, config));
  return train::Guarded([&]() -> Result<TrainResult> {
    auto model = Model::RandomInit(config, opts.seed);
    TrainState state;
    state.init = "random";
    state.options = opts;
    return train::Train(*model, std::move(state), "", train, eval, on_step);
  });
}

Result<TrainResult> FineTune(const std::string& model_path, const std::vector<TrainExample>& train,
                             const std::vector<TrainExample>& eval, const TrainOptions& opts,
                             const TrainCallback& on_step) {
  return train::Guarded([&]() -> Result<TrainResult> {
    WARDEN_ASSIGN_OR_RETURN(auto model, Model::Load(model_path));
    TrainState state;
    state.init = model_path;
    state.options = opts;
    return train::Train(*model, std::move(state), "", train, eval, on_step);
  });
}

Result<TrainResult> Resume(const std::string& dir, const std::vector<TrainExample>& train,
                           const std::vector<TrainExample>& eval, const ResumeOptions& resume,
                           const TrainCallback& on_step) {
  return train::Guarded([&]() -> Result<TrainResult> {
    WARDEN_ASSIGN_OR_RETURN(std::string ckpt, FindCheckpoint(dir));
    WARDEN_ASSIGN_OR_RETURN(TrainState state, ReadTrainState(ckpt));
    for (const char* f : {"config.json", "model.safetensors", "optimizer.safetensors"}) {
      if (!FileExists(ckpt + "/" + f)) return Status::NotFound(ckpt + "/" + f + ": missing from the checkpoint");
    }
    WARDEN_ASSIGN_OR_RETURN(auto model, Model::Load(ckpt));
    TrainOptions& o = state.options;
    o.stop_after = resume.stop_after;
    if (resume.steps > 0) o.steps = resume.steps;
    if (!resume.out_dir.empty()) o.out_dir = resume.out_dir;
    if (resume.threads > 0) o.threads = resume.threads;
    return train::Train(*model, std::move(state), ckpt, train, eval, on_step);
  });
}

}  // namespace warden::engine
