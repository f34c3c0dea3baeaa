// warden acts capture: activations of chosen hooks over labelled conversations, written as
// safetensors shards with labels and ids (docs/interp.md). Also home of the capture options the
// probe and ccs commands share (capture_options.h).
#include <cstdio>

#include "capture_options.h"

namespace warden::cli {

using namespace warden::interp;

interp::ActivationSet Capture(const CaptureArgs& a, const engine::LanguageModel& lm,
                              const std::vector<LabelledConversation>& data) {
  CaptureOptions o;
  o.chat_format = a.chat;
  o.batch_size = a.batch;
  size_t last = 0;
  o.progress = [&](size_t done, size_t total) {
    if (done * 10 / total != last || done == total) std::fprintf(stderr, "capture: %zu/%zu\n", done, total);
    last = done * 10 / total;
  };
  return CaptureActivations(lm, data, a.hooks, PositionRuleFromName(a.position).ValueOrThrow(), o).ValueOrThrow();
}

void AddCaptureOptions(CLI::App* cmd, CaptureArgs* a) {
  a->model.AddTo(*cmd);
  cmd->add_option("--data", a->data, "Labelled conversations, JSONL")->required();
  cmd->add_option("--hooks", a->hooks, "Hooks to read (default blocks.*.hook_resid_post)");
  cmd->add_option("--position", a->position, "last-prompt, response-mean or last (default response-mean)");
  cmd->add_option("--chat", a->chat, "Chat format (default auto)");
  cmd->add_option("--batch", a->batch, "Conversations per forward pass (default 16)");
}

void RegisterActs(CLI::App& app) {
  auto c = std::make_shared<CaptureArgs>();
  auto out_dir = std::make_shared<std::string>("acts");
  auto shard_rows = std::make_shared<int64_t>(4096);
  CLI::App* acts = app.add_subcommand("acts", "Activation datasets");
  acts->require_subcommand(1);
  CLI::App* capture = acts->add_subcommand("capture", "Capture hook activations over labelled conversations");
  AddCaptureOptions(capture, c.get());
  capture->add_option("--out", *out_dir, "Directory for the safetensors shards (default acts)");
  capture->add_option("--rows-per-shard", *shard_rows, "Rows per shard (default 4096)");
  capture->callback([c, out_dir, shard_rows] {
    std::unique_ptr<engine::LanguageModel> lm = c->model.Load();
    ActivationSet set = Capture(*c, *lm, LoadLabelledConversations(c->data).ValueOrThrow());
    WriteActivationShards(set, *out_dir, *shard_rows).ThrowIfError();
    std::printf("%zu rows x %zu hooks -> %s\n", set.items.size(), set.hooks.size(), out_dir->c_str());
  });

}

}  // namespace warden::cli
