// warden sae train|inspect: TopK sparse autoencoders on a hook's activations (docs/interp.md).
//   train    captures every token's activation over conversations, trains, reports MSE,
//            explained variance, L0, dead latents and the model's loss with the SAE spliced in;
//            saves the SAE in SAELens' layout and a dashboard page of top-activating tokens
//   inspect  the same report and dashboard for a saved SAE on new data
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "warden/base/file.h"
#include "warden/interp/sae.h"

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

Json Report(const engine::LanguageModel& lm, const interp::Sae& sae, const std::vector<interp::LabelledConversation>& data,
            const SaeArgs& a, const std::string& dir) {
  std::vector<std::pair<size_t, int64_t>> where;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::pair<int64_t, int64_t>> spans;
  interp::Matrix acts = interp::CaptureTokenActivations(lm, data, sae.hook, a.chat, &where, &ids, &spans).ValueOrThrow();
  const interp::SaeMetrics m = interp::EvaluateSae(sae, acts);
  // The loss over the answers (what a chat model was trained to predict) when there are any.
  bool any = false;
  for (const auto& sp : spans) any |= sp.second > sp.first;
  const interp::SplicedLoss loss = interp::MeasureSplicedLoss(lm, sae, ids, any ? spans : decltype(spans){}).ValueOrThrow();
  WriteFileAtomic(dir + "/dashboard.html", interp::SaeDashboardHtml(sae, acts, where, ids, *lm.tokenizer(), m)).ThrowIfError();
  return {{"sae", dir},
          {"hook", sae.hook},
          {"d_in", sae.d_in},
          {"d_sae", sae.d_sae},
          {"k", sae.k},
          {"tokens", acts.rows},
          {"mse", m.mse},
          {"explained_variance", m.explained_variance},
          {"l0", m.l0},
          {"dead_fraction", m.dead_fraction},
          {"loss_clean", loss.clean},
          {"loss_spliced", loss.spliced},
          {"loss_zero_ablated", loss.zero_ablated},
          {"loss_recovered", loss.recovered()},
          {"loss_tokens", any ? "final assistant messages" : "all tokens"},
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
  interp::Matrix acts = interp::CaptureTokenActivations(*lm, data, a.hook, a.chat).ValueOrThrow();
  interp::SaeTrainOptions o = a.train;
  o.progress = [](int step, double loss) { std::fprintf(stderr, "sae: step %d normalised MSE %.4f\n", step, loss); };
  interp::Sae sae = interp::TrainSae(acts, a.hook, o).ValueOrThrow();
  sae.model_sha256 = lm->WeightsSha256().ValueOrThrow();
  for (const interp::LabelledConversation& c : data) sae.trained_on.push_back(c.id);
  interp::SaveSaeLens(sae, a.out).ThrowIfError();
  Print(Report(*lm, sae, data, a, a.out), a.json);
}

void RunInspect(const SaeArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  interp::Sae sae = interp::LoadSaeLens(a.dir).ValueOrThrow();
  const std::string sha = lm->WeightsSha256().ValueOrThrow();
  if (!sae.model_sha256.empty() && sae.model_sha256 != sha) {
    throw Error(Status::InvalidArgument(a.dir + ": this SAE was trained on another model (" + sae.model_sha256.substr(0, 12) + "...)"));
  }
  auto data = LoadData(a);
  Print(Report(*lm, sae, data, a, a.dir), a.json);
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
  train->add_option("--d-sae", t->train.d_sae, "Latents (default 512)");
  train->add_option("--k", t->train.k, "Active latents per token (default 16)");
  train->add_option("--steps", t->train.steps, "Optimizer steps (default 3000)");
  train->add_option("--batch", t->train.batch, "Tokens per step (default 512)");
  train->add_option("--lr", t->train.lr, "Learning rate (default 1e-3)");
  train->add_option("--seed", t->train.seed, "Seed (default 0)");
  train->add_option("--chat", t->chat, "Chat format (default auto)");
  train->add_option("--out", t->out, "SAELens directory (default sae)");
  train->add_flag("--json", t->json, "Print the report as JSON");
  train->callback([t] { RunTrain(*t); });

  auto i = std::make_shared<SaeArgs>();
  CLI::App* inspect = cmd->add_subcommand("inspect", "Report and dashboard of a saved SAE on conversations");
  inspect->add_option("dir", i->dir, "SAELens directory")->required();
  i->model.AddTo(*inspect);
  inspect->add_option("--data", i->data, "Conversations, JSONL; several files may follow")->required();
  inspect->add_option("--split", i->split, "Only the rows of this split (e.g. test)");
  inspect->add_option("--chat", i->chat, "Chat format (default auto)");
  inspect->add_flag("--json", i->json, "Print the report as JSON");
  inspect->callback([i] { RunInspect(*i); });
}

}  // namespace warden::cli
