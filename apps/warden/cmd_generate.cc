// warden generate: sample a continuation of a prompt and print the prompt followed by it
// (streamed), or JSON with token ids and log-probs.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/engine/chat_template.h"

namespace warden::cli {
namespace {

struct GenerateArgs {
  ModelOptions model;
  std::string prompt, system, chat;
  engine::SamplingOptions sampling;
  bool json = false;
};

void RunGenerate(const GenerateArgs& a) {
  auto model = a.model.Load();
  const engine::Tokenizer* tok = model->tokenizer();
  if (tok == nullptr) {
    throw Error(Status::InvalidArgument(a.model.model + ": no tokenizer found; pass --tokenizer"));
  }
  std::string text = a.prompt;
  std::vector<int32_t> ids;
  engine::SamplingOptions sampling = a.sampling;
  if (a.chat.empty()) {
    ids = tok->Encode(text, {});
  } else {
    // Special-token text typed by the user stays text: only the template's own markup becomes
    // control tokens (EncodeChat), so a prompt cannot forge a turn boundary.
    auto format = engine::ChatFormatFromName(a.chat).ValueOrThrow();
    std::vector<engine::ChatMessage> msgs;
    if (!a.system.empty()) msgs.push_back({"system", a.system});
    msgs.push_back({"user", a.prompt});
    text = engine::RenderChat(format, msgs, /*add_generation_prompt=*/true).ValueOrThrow();
    ids = engine::EncodeChat(format, msgs, /*add_generation_prompt=*/true, *tok).ValueOrThrow();
    sampling.stop.push_back(engine::ChatTurnEnd(format));
  }

  engine::Utf8Streamer stream;
  int32_t prev = ids.back();
  engine::TokenCallback print_token;
  if (!a.json) {
    std::cout << text << std::flush;
    print_token = [&](int64_t, int32_t id, float) {
      std::cout << stream.Push(tok->TokenBytes(id, prev)) << std::flush;
      prev = id;
      return true;
    };
  }
  auto gens = model->Generate({ids}, sampling, print_token).ValueOrThrow();
  const engine::Generation& g = gens[0];
  if (!a.json) {
    std::cout << stream.Flush() << "\n";
    return;
  }
  nlohmann::json out = {
      {"prompt", text},
      {"prompt_ids", g.prompt},
      {"ids", g.tokens},
      {"logprobs", g.logprobs},
      {"text", g.text},
      {"finish_reason", g.finish_reason},
      {"model", a.model.model},
      {"seed", sampling.seed},
      {"temperature", sampling.temperature},
  };
  std::cout << out.dump(2) << "\n";
}

}  // namespace

void RegisterGenerate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Sample a continuation of a prompt");
  args->model.AddTo(*cmd);
  cmd->add_option("--prompt", args->prompt, "Prompt text")->required();
  cmd->add_option("--max-tokens", args->sampling.max_new_tokens, "Tokens to generate (default 128)")
      ->check(NonNegative());
  cmd->add_option("--temperature", args->sampling.temperature, "0 is greedy (default 0)")
      ->check(NonNegative());
  cmd->add_option("--top-k", args->sampling.top_k, "Keep only the k most likely tokens (0: off)")
      ->check(NonNegative());
  cmd->add_option("--top-p", args->sampling.top_p, "Nucleus sampling mass (1: off)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", args->sampling.seed, "Sampling seed (default 0)")->check(NonNegative());
  cmd->add_option("--stop", args->sampling.stop, "Stop string (repeatable)");
  cmd->add_option("--chat", args->chat, "Wrap the prompt in a chat template: llama2, chatml, warden")
      ->check(IsChatFormat(/*auto_or_none=*/false));
  cmd->add_option("--system", args->system, "System message (with --chat)");
  cmd->add_flag("--json", args->json, "Print JSON with token ids and log-probs");
  cmd->callback([args] { RunGenerate(*args); });
}

}  // namespace warden::cli
