// warden patch: activation patching from a source prompt into a target prompt, one hook at a
// time, with the log-probability of an answer as the metric (docs/interp.md).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/engine/chat_template.h"
#include "warden/interp/patching.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;

struct PatchArgs {
  ModelOptions model;
  std::string source, target, answer, hooks = "blocks.*.hook_resid_post", chat = "auto";
  std::vector<int64_t> positions;
  bool json = false;
};

// Prompts are rendered as one user turn in the model's chat format (or plain text), so that
// the answer is the assistant's reply.
std::vector<int32_t> PromptIds(const engine::LanguageModel& lm, const std::string& chat, const std::string& text) {
  const engine::Tokenizer& tok = *lm.tokenizer();
  auto format = engine::ResolveChatFormat(chat, tok).ValueOrThrow();
  if (format) return engine::EncodeChat(*format, {{"user", text}}, true, tok).ValueOrThrow();
  return tok.Encode(text, {});
}

void RunPatch(const PatchArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  if (lm->tokenizer() == nullptr) throw Error(Status::InvalidArgument(a.model.model + ": no tokenizer"));
  engine::EncodeOptions no_bos;
  no_bos.add_bos = false;
  const std::vector<int32_t> answer = lm->tokenizer()->Encode(a.answer, no_bos);
  interp::PatchingReport r = interp::PatchHooks(*lm, PromptIds(*lm, a.chat, a.source), PromptIds(*lm, a.chat, a.target),
                                                answer, a.hooks, a.positions).ValueOrThrow();
  if (a.json) {
    Json hooks = Json::array();
    for (const auto& h : r.hooks) hooks.push_back({{"hook", h.hook}, {"logprob", h.metric}, {"normalised", h.normalised}});
    std::cout << Json{{"source_logprob", r.source}, {"target_logprob", r.target}, {"hooks", hooks}}.dump(2) << "\n";
    return;
  }
  std::printf("log p(answer): source %.3f, target %.3f\n", r.source, r.target);
  for (const auto& h : r.hooks) std::printf("  %-30s %.3f  (%.2f of the way)\n", h.hook.c_str(), h.metric, h.normalised);
}

}  // namespace

void RegisterPatch(CLI::App& app) {
  auto p = std::make_shared<PatchArgs>();
  CLI::App* cmd = app.add_subcommand("patch", "Activation patching from a source prompt into a target prompt");
  p->model.AddTo(*cmd);
  cmd->add_option("--source", p->source, "Source prompt (the user turn)")->required();
  cmd->add_option("--target", p->target, "Target prompt, the same length in tokens")->required();
  cmd->add_option("--answer", p->answer, "Answer whose log-probability is the metric")->required();
  cmd->add_option("--hooks", p->hooks, "Hooks to patch, one at a time (default blocks.*.hook_resid_post)");
  cmd->add_option("--positions", p->positions, "Patch only these prompt positions (negative: from the end)");
  cmd->add_option("--chat", p->chat, "Chat format (default auto)")->check(IsChatFormat());
  cmd->add_flag("--json", p->json, "Print as JSON");
  cmd->callback([p] { RunPatch(*p); });
}

}  // namespace warden::cli
