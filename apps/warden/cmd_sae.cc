// warden sae train|inspect: TopK sparse autoencoders on a hook's activations (docs/interp.md).
//   train    captures every token's activation over conversations, trains, reports MSE,
//            explained variance, L0, dead latents and the model's loss with the SAE spliced in;
//            saves the SAE in SAELens' layout and a dashboard page of top-activating tokens
//   inspect  the same report and dashboard for a saved SAE on new data
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/base/file.h"
#include "warden/interp/sae_evaluation.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;

struct SaeArgs {
  ModelOptions model;
  std::vector<std::string> data;
  std::string split, hook = "blocks.1.hook_resid_post", chat = "auto", out = "sae", dir;
  interp::SaeTrainOptions train;
  bool json = false;
};

Json Report(const interp::Sae& sae, const interp::SaeEvaluation& e, const std::string& dir) {
  WriteFileAtomic(dir + "/dashboard.html", e.dashboard_html).ThrowIfError();
  return {{"sae", dir},
          {"hook", sae.hook},
          {"d_in", sae.d_in},
          {"d_sae", sae.d_sae},
          {"k", sae.k},
          {"tokens", e.tokens},
          {"mse", e.metrics.mse},
          {"explained_variance", e.metrics.explained_variance},
          {"l0", e.metrics.l0},
          {"dead_fraction", e.metrics.dead_fraction},
          {"loss_clean", e.loss.clean},
          {"loss_spliced", e.loss.spliced},
          {"loss_zero_ablated", e.loss.zero_ablated},
          {"loss_recovered", e.loss.recovered()},
          {"loss_tokens", e.loss_on_answers ? "final assistant messages" : "all tokens"},
          {"dashboard", dir + "/dashboard.html"}};
}

void Print(const Json& j, bool json) {
  if (json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%s on %s: %lld tokens; explained variance %.3f, MSE %.5f, L0 %.1f, dead %.1f%%\n"
              "next-token loss: clean %.4f, SAE spliced in %.4f, hook zero-ablated %.4f (recovered %.3f)\ndashboard: %s\n",
              j["sae"].get<std::string>().c_str(), j["hook"].get<std::string>().c_str(),
              static_cast<long long>(j["tokens"].get<int64_t>()), j["explained_variance"].get<double>(), j["mse"].get<double>(),
              j["l0"].get<double>(), 100 * j["dead_fraction"].get<double>(), j["loss_clean"].get<double>(),
              j["loss_spliced"].get<double>(), j["loss_zero_ablated"].get<double>(), j["loss_recovered"].get<double>(),
              j["dashboard"].get<std::string>().c_str());
}

// The conversations of every --data file, only those of --split when it is given.
std::vector<interp::LabelledConversation> LoadData(const SaeArgs& a) {
  std::vector<interp::LabelledConversation> out;
  for (const std::string& path : a.data) {
    for (interp::LabelledConversation& c : interp::LoadLabelledConversations(path).ValueOrThrow()) {
      if (a.split.empty() || c.split == a.split) out.push_back(std::move(c));
    }
  }
  if (out.empty()) throw Error(Status::InvalidArgument("no conversations of split '" + a.split + "' in --data"));
  return out;
}

void RunTrain(const SaeArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  auto data = LoadData(a);
  interp::SaeTrainOptions o = a.train;
  o.progress = [](int step, double loss) { std::fprintf(stderr, "sae: step %d normalised MSE %.4f\n", step, loss); };
  interp::Sae sae = interp::TrainSaeOnConversations(*lm, data, a.hook, a.chat, o).ValueOrThrow();
  interp::SaveSaeLens(sae, a.out).ThrowIfError();
  Print(Report(sae, interp::EvaluateSae(*lm, sae, data, a.chat).ValueOrThrow(), a.out), a.json);
}

void RunInspect(const SaeArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  interp::Sae sae = interp::LoadSaeLens(a.dir).ValueOrThrow();
  auto data = LoadData(a);
  Result<interp::SaeEvaluation> e = interp::EvaluateSae(*lm, sae, data, a.chat);
  if (!e.ok()) throw Error(e.status().WithContext(a.dir));
  Print(Report(sae, *e, a.dir), a.json);
}

}  // namespace

void RegisterSae(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("sae", "Sparse autoencoders (TopK, SAELens layout)");
  cmd->require_subcommand(1);
  auto t = std::make_shared<SaeArgs>();
  CLI::App* train = cmd->add_subcommand("train", "Train a TopK SAE on one hook's token activations");
  t->model.AddTo(*train);
  train->add_option("--data", t->data, "Conversations, JSONL (as for probes; labels unused); several files may follow")->required();
  train->add_option("--split", t->split, "Only the rows of this split (e.g. train)");
  train->add_option("--hook", t->hook, "Hook (default blocks.1.hook_resid_post)");
  train->add_option("--d-sae", t->train.d_sae, "Latents (default 512)")->check(Positive());
  train->add_option("--k", t->train.k, "Active latents per token (default 16)")->check(Positive());
  train->add_option("--steps", t->train.steps, "Optimizer steps (default 3000)")->check(Positive());
  train->add_option("--batch", t->train.batch, "Tokens per step (default 512)")->check(Positive());
  train->add_option("--lr", t->train.lr, "Learning rate (default 1e-3)")->check(Positive());
  train->add_option("--seed", t->train.seed, "Seed (default 0)")->check(NonNegative());
  train->add_option("--chat", t->chat, "Chat format (default auto)")->check(IsChatFormat());
  train->add_option("--out", t->out, "SAELens directory (default sae)");
  train->add_flag("--json", t->json, "Print the report as JSON");
  train->callback([t] { RunTrain(*t); });

  auto i = std::make_shared<SaeArgs>();
  CLI::App* inspect = cmd->add_subcommand("inspect", "Report and dashboard of a saved SAE on conversations");
  inspect->add_option("dir", i->dir, "SAELens directory")->required();
  i->model.AddTo(*inspect);
  inspect->add_option("--data", i->data, "Conversations, JSONL; several files may follow")->required();
  inspect->add_option("--split", i->split, "Only the rows of this split (e.g. test)");
  inspect->add_option("--chat", i->chat, "Chat format (default auto)")->check(IsChatFormat());
  inspect->add_flag("--json", i->json, "Print the report as JSON");
  inspect->callback([i] { RunInspect(*i); });
}

}  // namespace warden::cli
