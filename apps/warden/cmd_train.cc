// warden train: train from a config, fine-tune a model, or resume a run, on a JSONL data set.
// Each line is {"text": "..."} (every token a target; EOS appended when the tokenizer has one)
// or {"messages": [{"role": ..., "content": ...}, ...]} rendered with the chat template, with
// the loss on the assistant turns only (warden/engine/train_data.h). A progress line per step
// goes to stderr.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/base/file.h"
#include "warden/base/format.h"
#include "warden/base/sha256.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/train.h"
#include "warden/engine/train_data.h"

namespace warden::cli {
namespace {

struct TrainArgs {
  std::string model, config, tokenizer, data, eval, out, resume, chat = "warden", batching = "padded";
  engine::TrainOptions opts;
  bool json = false;
};

// The tokenizer the data is encoded with: --tokenizer, else the model's own; on --resume, the
// one the run recorded (a tokenizer file, or the fine-tuned model's path for its own).
// Returns null when it is `holder`'s (loaded with the whole model).
std::unique_ptr<engine::Tokenizer> LoadTokenizerFor(const TrainArgs& a,
                                                    std::unique_ptr<engine::LanguageModel>& holder) {
  std::string path = a.tokenizer, model = a.model;
  if (path.empty() && !a.resume.empty()) {
    std::string ckpt = engine::FindCheckpoint(a.resume).ValueOrThrow();
    engine::TrainState st = engine::ReadTrainState(ckpt).ValueOrThrow();
    (st.options.tokenizer == st.init ? model : path) = st.options.tokenizer;
  }
  if (!path.empty()) return engine::LoadTokenizer(path).ValueOrThrow();
  if (model.empty()) {
    throw Error(Status::InvalidArgument("no tokenizer to encode the data with; pass --tokenizer"));
  }
  engine::LoadSpec spec;
  spec.path = model;
  holder = engine::LanguageModel::Load(spec).ValueOrThrow();
  if (holder->tokenizer() == nullptr) {
    throw Error(Status::InvalidArgument(model + ": no tokenizer found; pass --tokenizer"));
  }
  return nullptr;
}

void PrintProgress(const engine::TrainProgress& p, int64_t steps) {
  std::cerr << StrFormat("step %lld/%lld  loss %.4f  lr %.3g  grad %.3g  %.0f tok/s", static_cast<long long>(p.step),
                         static_cast<long long>(steps), p.loss, p.lr, p.grad_norm, p.tokens_per_s);
  if (p.eval_loss >= 0) std::cerr << "  eval " << p.eval_loss;
  std::cerr << "\n";
}

void RunTrain(TrainArgs& a) {
  if (a.resume.empty() && a.model.empty() == a.config.empty()) {
    throw Error(Status::InvalidArgument("give exactly one of --model, --config or --resume"));
  }
  if (a.resume.empty() && a.out.empty()) throw Error(Status::InvalidArgument("--out is required"));
  std::unique_ptr<engine::LanguageModel> holder;
  std::unique_ptr<engine::Tokenizer> own = LoadTokenizerFor(a, holder);
  const engine::Tokenizer& tok = own ? *own : *holder->tokenizer();
  auto format = engine::ChatFormatFromName(a.chat).ValueOrThrow();
  auto train = engine::ReadTrainJsonl(a.data, format, tok).ValueOrThrow();
  std::vector<engine::TrainExample> eval;
  if (!a.eval.empty()) eval = engine::ReadTrainJsonl(a.eval, format, tok).ValueOrThrow();
  holder.reset();  // the trainer loads its own copy of the model

  engine::TrainOptions& o = a.opts;
  o.out_dir = a.out;
  o.batching = engine::BatchingFromName(a.batching).ValueOrThrow();
  o.data_sha256 = Sha256File(a.data).ValueOrThrow();
  o.tokenizer = a.tokenizer.empty() ? a.model : a.tokenizer;
  int64_t steps = o.steps;
  auto progress = [&](const engine::TrainProgress& p) { PrintProgress(p, steps); };
  Result<engine::TrainResult> r = Status::Internal("unreachable");
  if (!a.resume.empty()) {
    engine::ResumeOptions ro;
    ro.steps = o.steps;
    ro.out_dir = a.out;
    ro.threads = o.threads;
    std::string ckpt = engine::FindCheckpoint(a.resume).ValueOrThrow();
    steps = engine::ReadTrainState(ckpt).ValueOrThrow().options.steps;
    if (ro.steps > 0) steps = ro.steps;
    r = engine::Resume(a.resume, train, eval, ro, progress);
  } else if (!a.config.empty()) {
    std::string text = ReadFileToString(a.config).ValueOrThrow();
    auto config = engine::ModelConfig::FromHfConfigJson(text, a.config).ValueOrThrow();
    r = engine::TrainFromScratch(config, train, eval, o, progress);
  } else {
    r = engine::FineTune(a.model, train, eval, o, progress);
  }
  engine::TrainResult result = std::move(r).ValueOrThrow();
  if (!a.json) {
    std::cout << "checkpoint: " << result.checkpoint << "\n";
    return;
  }
  nlohmann::json out = {{"checkpoint", result.checkpoint}, {"step", result.state.step},
                        {"tokens_seen", result.state.tokens_seen}, {"flops", result.state.flops},
                        {"losses", result.losses}, {"final_loss", result.state.last_loss}};
  nlohmann::json evals = nlohmann::json::array();
  for (const auto& [step, loss] : result.eval_losses) evals.push_back({{"step", step}, {"loss", loss}});
  out["eval_losses"] = evals;
  std::cout << out.dump(2) << "\n";
}

}  // namespace

void RegisterTrain(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  a->opts.steps = 0;  // 0: the library default, or the resumed run's own total
  CLI::App* cmd = app.add_subcommand("train", "Train from a config, fine-tune a model, or resume a run");
  cmd->add_option("--model", a->model, "Model to fine-tune (any format warden loads)");
  cmd->add_option("--config", a->config, "Hugging Face config.json of a model to train from scratch");
  cmd->add_option("--resume", a->resume, "Checkpoint (or out dir) to continue from");
  cmd->add_option("--tokenizer", a->tokenizer, "Tokenizer for the data (default: the model's own)");
  cmd->add_option("--data", a->data, "Training data, JSONL: {\"text\"} or {\"messages\"} per line")->required();
  cmd->add_option("--eval", a->eval, "Held-out data, JSONL, evaluated during training");
  cmd->add_option("--out", a->out, "Directory for checkpoints (step-NNNNNN/)");
  cmd->add_option("--steps", a->opts.steps, "Optimizer steps (default 100)")->check(Positive());
  cmd->add_option("--batch", a->opts.batch_size, "Rows per step (default 8)")->check(Positive());
  cmd->add_option("--seq-len", a->opts.seq_len, "Tokens per row (default 128)")->check(Positive());
  cmd->add_option("--lr", a->opts.lr, "Peak learning rate (default 1e-3)")->check(Positive());
  cmd->add_option("--min-lr", a->opts.min_lr, "Cosine floor (default 1e-4)")->check(NonNegative());
  cmd->add_option("--warmup", a->opts.warmup_steps, "Warm-up steps (default 10)")->check(NonNegative());
  cmd->add_option("--weight-decay", a->opts.weight_decay, "AdamW weight decay (default 0.1)")->check(NonNegative());
  cmd->add_option("--grad-clip", a->opts.grad_clip, "Max gradient norm, 0: off (default 1)")->check(NonNegative());
  cmd->add_option("--seed", a->opts.seed, "Seed of initialisation and data order (default 0)")->check(NonNegative());
  cmd->add_option("--eval-every", a->opts.eval_every, "Evaluate every N steps (default: at the end)")
      ->check(NonNegative());
  cmd->add_option("--checkpoint-every", a->opts.checkpoint_every, "Checkpoint every N steps (default: at the end)")
      ->check(NonNegative());
  cmd->add_option("--batching", a->batching, "padded, packed or isolated (packed rows, attention within each example)")
      ->check(CLI::IsMember({"padded", "packed", "isolated"}));
  cmd->add_option("--chat", a->chat, "Chat template for \"messages\": llama2, chatml, warden")
      ->check(IsChatFormat(/*auto_or_none=*/false));
  cmd->add_option("--threads", a->opts.threads, "CPU threads (default: all cores)")->check(NonNegative());
  cmd->add_flag("--json", a->json, "Print the result as JSON");
  cmd->callback([a] {
    if (a->opts.steps == 0 && a->resume.empty()) a->opts.steps = engine::TrainOptions().steps;
    RunTrain(*a);
  });
}

}  // namespace warden::cli
