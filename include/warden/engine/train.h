// Training: next-token cross-entropy with AdamW on any engine architecture. Torch-free, so the
// CLI and the organisms module can train without including LibTorch.
//
//   std::vector<TrainExample> data = ...;          // token ids + which tokens are targets
//   TrainOptions opts;  opts.steps = 200;  opts.out_dir = "runs/a";
//   TrainResult r = TrainFromScratch(config, data, /*eval=*/{}, opts).ValueOrThrow();
//   // runs/a/step-000200/ holds the model, the optimizer and train_state.json
//   Resume("runs/a", data, {}, {}).ValueOrThrow();  // continues from the latest checkpoint
//
// What one step does (docs/training.md):
//   1. takes `batch_size` rows, chosen by a pure function of (seed, step) (see Batching), so a
//      resumed run sees exactly the batches the uninterrupted run would have seen;
//   2. runs the model in fp32 with autograd; loss = mean cross-entropy over the target tokens
//      of the batch (token t is predicted from tokens < t; only tokens whose loss_mask is 1 and
//      that are not padding count; a packed batch without any target has loss 0);
//   3. clips the global gradient L2 norm to grad_clip, sets the scheduled learning rate, and
//      takes one AdamW step (weight decay on matrices only, not on norms and biases).
//
// Determinism: the same options, data and machine with threads = 1 give bit-identical weights;
// with more threads LibTorch's reductions may differ in the last bits.
//
// Thread-safety: a training call owns its model; run at most one per model at a time. Calls
// set LibTorch's global thread count when `threads` > 0.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/model_config.h"

namespace warden::engine {

struct TrainExample {
  std::vector<int32_t> tokens;  // token ids, at least 2
  // Empty: every token after the first is a target. Otherwise one entry per token: 1 if the
  // token is a target (e.g. the assistant's tokens of a chat), 0 if it is context only. The
  // first token is never a target (nothing precedes it).
  std::vector<uint8_t> loss_mask;
};

enum class Batching {
  // One example per row, truncated to seq_len (its first seq_len tokens), left-padded to the
  // longest row of the batch; padding is masked out of attention and of the loss. Each epoch
  // visits every example once in an order shuffled from (seed, epoch).
  kPadded,
  // Examples of an epoch (shuffled as above) are concatenated and cut into rows of exactly
  // seq_len tokens; the last row of an epoch is left-padded. Attention crosses document
  // boundaries within a row (as GPT-2-style pre-training does; nothing in the data separates
  // documents except what the examples themselves contain, e.g. BOS/EOS); positions run
  // 0..seq_len-1 along the row. A document's first token is never a target, since it cannot
  // be predicted from the previous document.
  kPacked,
  // Rows of up to seq_len tokens filled with whole examples (shuffled as above, each truncated to
  // seq_len; an example that does not fit in what is left of a row starts the next row), and
  // each token attends only to its own example, whose positions start at 0: what the model sees
  // is exactly what padded batching shows it, with little compute spent on padding. For chat
  // data whose behaviour depends on the system prompt (an organism with a password or an
  // instruction), where attending across conversations would show it another conversation's.
  kIsolated,
};
const char* BatchingName(Batching b);  // "padded" | "packed" | "isolated"
Result<Batching> BatchingFromName(const std::string& name);

struct TrainOptions {
  int64_t steps = 100;          // optimizer steps of the whole run (the schedule spans them)
  int64_t batch_size = 8;       // rows per step
  int64_t seq_len = 128;        // tokens per row (at most the model's n_ctx)
  Batching batching = Batching::kPadded;
  double lr = 1e-3;             // peak learning rate
  double min_lr = 1e-4;         // the cosine schedule's floor, reached at the last step
  int64_t warmup_steps = 10;    // linear warm-up from lr/warmup_steps to lr
  double weight_decay = 0.1;    // AdamW's decoupled decay, on tensors of 2+ dimensions only
  double beta1 = 0.9;
  double beta2 = 0.95;
  double adam_eps = 1e-8;
  double grad_clip = 1.0;       // max global gradient L2 norm; 0 turns clipping off
  uint64_t seed = 0;            // initialisation (from scratch) and data order
  int64_t eval_every = 0;       // evaluate the eval set every N steps (0: only after the last)
  int64_t checkpoint_every = 0; // write a checkpoint every N steps (0: only after the last)
  std::string out_dir;          // where checkpoints go (empty: none are written)
  int threads = 0;              // LibTorch CPU threads; 0 leaves its default
  // Stop after this step (0: run to `steps`) while keeping the schedule of `steps`: a
  // checkpoint is written there, and Resume continues exactly. For preemptible runs and tests.
  int64_t stop_after = 0;
  // Provenance only, recorded in train_state.json (the trainer never reads them).
  std::string data_sha256;      // hash of the training data, as the caller computed it
  std::string tokenizer;        // tokenizer path the data was encoded with
};

// Learning rate of (0-based) step `step`: linear warm-up over warmup_steps to lr, then cosine
// decay from lr to min_lr over the remaining steps.
double LearningRateAt(const TrainOptions& opts, int64_t step);

// Training FLOPs per token (forward + backward) of a row of `seq_len` tokens:
//   6 * ParameterCount() + 6 * n_layers * seq_len * d_model
// The first term is the matrix products (2 forward, 4 backward per parameter per token;
// embeddings included, tied ones counted once). The second is attention's q.k and p.v products
// (2 * n_layers * seq_len * d_model forward per token, 3x with backward); causal masking is not
// subtracted. Padding tokens are not counted.
double TrainingFlopsPerToken(const ModelConfig& config, int64_t seq_len);

// Where a run stands: the contents of train_state.json.
struct TrainState {
  int64_t step = 0;          // optimizer steps taken
  int64_t tokens_seen = 0;   // non-padding tokens run through the model in training
  int64_t target_tokens = 0; // of which tokens the loss was computed on
  double flops = 0;          // sum over steps of tokens x TrainingFlopsPerToken(row length)
  double last_loss = 0;      // training loss of the last step
  double last_eval_loss = -1;  // -1: never evaluated
  std::string init;          // "random" (from scratch) or the path of the fine-tuned model
  TrainOptions options;
};

struct TrainProgress {
  int64_t step = 0;          // 1-based: the step just taken
  double loss = 0;           // its mean training loss (nats per target token)
  double lr = 0;             // the learning rate it used
  double grad_norm = 0;      // global gradient norm before clipping
  double tokens_per_s = 0;   // non-padding tokens / wall-clock seconds of this step
  double eval_loss = -1;     // -1 unless the eval set was evaluated after this step
  int64_t tokens_seen = 0;
  double flops = 0;
};
// Called after every step, on the training thread.
using TrainCallback = std::function<void(const TrainProgress&)>;

struct TrainResult {
  TrainState state;                 // after the last step run
  std::vector<double> losses;       // training loss of every step run by this call
  std::vector<std::pair<int64_t, double>> eval_losses;  // (step, eval loss)
  std::string checkpoint;           // the last checkpoint written ("" if out_dir was empty)
};

// Trains a randomly initialised model (Hugging Face's initialisation, seeded from opts.seed).
// `eval` may be empty; its loss is the mean over all its target tokens, batched like the
// training data (packed rows when batching is packed) but unshuffled, without gradients. Errors (never throws) on invalid options or examples (naming the field
// or the example's index), and on unwritable checkpoints (naming the file).
Result<TrainResult> TrainFromScratch(const ModelConfig& config, const std::vector<TrainExample>& train,
                                     const std::vector<TrainExample>& eval, const TrainOptions& opts,
                                     const TrainCallback& on_step = {});

// Fine-tunes the model at `model_path` (any format Model::Load reads), in fp32 on the CPU.
Result<TrainResult> FineTune(const std::string& model_path, const std::vector<TrainExample>& train,
                             const std::vector<TrainExample>& eval, const TrainOptions& opts,
                             const TrainCallback& on_step = {});

struct ResumeOptions {
  int64_t stop_after = 0;  // as TrainOptions::stop_after (0: run to the recorded `steps`)
  int64_t steps = 0;       // > 0: a new total (the schedule is recomputed over it)
  std::string out_dir;     // "" keeps the recorded out_dir
  int threads = 0;
};

// Continues a run from a checkpoint: `dir` is a checkpoint (holding train_state.json) or an
// out_dir, whose highest step-NNNNNN checkpoint is used. With the same data the continued run
// equals the uninterrupted one (same batches, schedule and optimizer state). Errors name the
// missing or corrupt file.
Result<TrainResult> Resume(const std::string& dir, const std::vector<TrainExample>& train,
                           const std::vector<TrainExample>& eval, const ResumeOptions& resume,
                           const TrainCallback& on_step = {});

// The checkpoint `dir` resolves to (see Resume) and its train_state.json.
Result<std::string> FindCheckpoint(const std::string& dir);
Result<TrainState> ReadTrainState(const std::string& checkpoint_dir);

}  // namespace warden::engine
