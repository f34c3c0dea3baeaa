// warden acts capture: activations of chosen hooks over labelled conversations, written as
// safetensors shards with labels and ids (docs/interp.md). Also home of the capture options the
// probe and ccs commands share (capture_options.h).
#include <cstdio>
#include <memory>

#include "capture_options.h"
#include "flags.h"
#include "warden/interp/shards.h"

namespace warden::cli {

using namespace warden::interp;

namespace {

// The chat format and batch size of `a`, and a progress line on stderr every tenth of the way.
CaptureOptions OptionsFor(const CaptureArgs& a) {
  CaptureOptions o;
  o.chat_format = a.chat;
  o.batch_size = a.batch;
  auto last = std::make_shared<size_t>(0);
  o.progress = [last](size_t done, size_t total) {
    if (done * 10 / total != *last || done == total) std::fprintf(stderr, "capture: %zu/%zu\n", done, total);
    *last = done * 10 / total;
  };
  return o;
}

}  // namespace

interp::ActivationSet Capture(const CaptureArgs& a, const engine::LanguageModel& lm,
                              const std::vector<LabelledConversation>& data) {
  return CaptureActivations(lm, data, a.hooks, PositionRuleFromName(a.position).ValueOrThrow(), OptionsFor(a))
      .ValueOrThrow();
}

void AddCaptureOptions(CLI::App* cmd, CaptureArgs* a) {
  a->model.AddTo(*cmd);
  cmd->add_option("--data", a->data, "Labelled conversations, JSONL")->required();
  cmd->add_option("--hooks", a->hooks, "Hooks to read (default blocks.*.hook_resid_post)");
  cmd->add_option("--position", a->position, "last-prompt, response-mean, last or prompt-mean (default response-mean)")
      ->check(IsPositionRule());
  cmd->add_option("--chat", a->chat, "Chat format (default auto)")->check(IsChatFormat());
  cmd->add_option("--batch", a->batch, "Conversations per forward pass (default 16)")->check(Positive());
}

namespace {

struct ActsArgs : CaptureArgs {
  std::string out = "acts";
  int64_t rows_per_shard = 4096;
  bool overwrite = false;
};

// Shard by shard: memory holds one shard's rows, never the dataset (shards.h).
void RunCapture(const ActsArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  const std::vector<LabelledConversation> data = LoadLabelledConversations(a.data).ValueOrThrow();
  const int64_t rows = CaptureToShards(*lm, data, a.hooks, PositionRuleFromName(a.position).ValueOrThrow(), a.out,
                                       a.rows_per_shard, OptionsFor(a), a.overwrite)
                           .ValueOrThrow();
  std::printf("%lld rows -> %s (shards of at most %lld rows, manifest.json)\n", static_cast<long long>(rows),
              a.out.c_str(), static_cast<long long>(a.rows_per_shard));
}

}  // namespace

void RegisterActs(CLI::App& app) {
  auto c = std::make_shared<ActsArgs>();
  CLI::App* acts = app.add_subcommand("acts", "Activation datasets");
  acts->require_subcommand(1);
  CLI::App* capture = acts->add_subcommand("capture", "Capture hook activations over labelled conversations");
  AddCaptureOptions(capture, c.get());
  capture->add_option("--out", c->out, "Directory for the safetensors shards and manifest (default acts)");
  capture->add_option("--rows-per-shard", c->rows_per_shard, "Rows per shard, captured and written one shard at a time (default 4096)")
      ->check(Positive());
  capture->add_flag("--overwrite", c->overwrite, "Replace an activation dataset already in --out");
  capture->callback([c] { RunCapture(*c); });
}

}  // namespace warden::cli
