// warden steer make|apply: steering vectors (docs/interp.md).
//   make   difference of means of labelled conversations' residual streams, written as a
//          llama.cpp control-vector GGUF
//   apply  runs an evaluation suite without and with the vector at each scale, and prints how
//          far the measured behaviour moved
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/base/env.h"
#include "warden/base/shared_dir.h"
#include "warden/evals/suites.h"
#include "warden/interp/steering.h"
#include "warden/interp/steering_sweep.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;

struct MakeArgs {
  ModelOptions model;
  std::string data, hooks = "blocks.*.hook_resid_post", position = "last-prompt", chat = "auto", out = "vector.gguf";
  std::string split = "train";
};

void RunMake(const MakeArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  auto data = interp::LoadLabelledConversations(a.data).ValueOrThrow();
  interp::CaptureOptions o;
  o.chat_format = a.chat;
  interp::ActivationSet set =
      interp::CaptureActivations(*lm, data, a.hooks, interp::PositionRuleFromName(a.position).ValueOrThrow(), o).ValueOrThrow();
  std::vector<size_t> rows;
  for (size_t i = 0; i < set.items.size(); ++i) {
    if (a.split.empty() || set.items[i].split == a.split) rows.push_back(i);
  }
  interp::SteeringVector v = interp::DiffOfMeansVector(set, rows).ValueOrThrow();
  v.model_hint = a.model.model;
  for (size_t i : rows) v.trained_on.push_back(set.items[i].id);
  interp::WriteControlVector(v, a.out).ThrowIfError();
  std::printf("%zu layers from %zu rows -> %s\n", v.directions.size(), rows.size(), a.out.c_str());
}

struct ApplyArgs {
  ModelOptions model;
  std::string vector, suite, zoo, chat = "auto", out;
  std::vector<int> layers;
  std::vector<double> scales = {0, 1};
  size_t limit = 0;
  bool json = false;
};

void RunApply(const ApplyArgs& a) {
  std::unique_ptr<engine::LanguageModel> owned = a.model.Load();
  engine::LanguageModel& lm = *owned;
  interp::SteeringVector v = interp::ReadControlVector(a.vector).ValueOrThrow();
  interp::SteeringSweepOptions so;
  Result<std::vector<int>> layers = interp::SteeringLayers(v, a.layers);
  if (!layers.ok()) throw Error(layers.status().WithContext(a.vector));
  so.layers = *layers;
  so.scales = a.scales;
  evals::SuiteContext c;
  c.shared_dir = SharedDir();
  c.zoo_dir = a.zoo;
  std::vector<evals::Task> tasks = evals::LoadSuite(a.suite, c).ValueOrThrow();
  std::shared_ptr<const engine::LanguageModel> view(&lm, [](const engine::LanguageModel*) {});
  evals::EngineBackendOptions bo;
  bo.name = a.model.model;
  bo.chat_format = a.chat;
  auto backend = evals::MakeEngineBackend(view, bo).ValueOrThrow();
  if (!a.out.empty()) Env::Default()->CreateDirs(a.out).ThrowIfError();
  // What is measured at each scale: every task of the suite, one log per scale and task.
  Json rows = Json::array();
  auto measure = [&](double scale) -> Status {
    for (const evals::Task& t : tasks) {
      evals::RunOptions o;
      o.limit = a.limit;
      o.resume = false;
      if (!a.out.empty()) {
        std::string name = t.name;
        for (char& ch : name) ch = ch == '/' ? '_' : ch;
        o.log_path = a.out + "/" + name + "_scale" + std::to_string(scale) + ".jsonl";
      }
      WARDEN_ASSIGN_OR_RETURN(evals::TaskResult r, evals::RunTask(t, *backend, o));
      rows.push_back({{"scale", scale}, {"task", t.name}, {"metric", r.metric}, {"value", r.estimate.value},
                      {"ci_low", r.estimate.ci_low}, {"ci_high", r.estimate.ci_high}, {"n", r.estimate.n}, {"errors", r.errors}});
      if (!a.json) {
        std::printf("scale %6.2f  %-36s %s %.3f [%.3f, %.3f] n=%zu errors=%zu\n", scale, t.name.c_str(), r.metric.c_str(),
                    r.estimate.value, r.estimate.ci_low, r.estimate.ci_high, r.estimate.n, r.errors);
      }
    }
    return Status::Ok();
  };
  interp::SweepSteering(lm, v, so, measure).ValueOrThrow();
  if (a.json) std::cout << Json{{"vector", a.vector}, {"layers", so.layers}, {"results", rows}}.dump(2) << "\n";
}

}  // namespace

void RegisterSteer(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("steer", "Steering vectors: make (difference of means), apply (measure)");
  cmd->require_subcommand(1);
  auto m = std::make_shared<MakeArgs>();
  CLI::App* make = cmd->add_subcommand("make", "Difference-of-means vector from labelled conversations");
  m->model.AddTo(*make);
  make->add_option("--data", m->data, "Labelled conversations, JSONL (label 1: the behaviour)")->required();
  make->add_option("--hooks", m->hooks, "Residual hooks to read (default blocks.*.hook_resid_post)");
  make->add_option("--position", m->position, "last-prompt, response-mean or last (default last-prompt)")
      ->check(IsPositionRule());
  make->add_option("--split", m->split, "Rows of this split only (default train; empty: all)");
  make->add_option("--chat", m->chat, "Chat format (default auto)")->check(IsChatFormat());
  make->add_option("--out", m->out, "Control-vector GGUF (default vector.gguf)");
  make->callback([m] { RunMake(*m); });

  auto a = std::make_shared<ApplyArgs>();
  CLI::App* apply = cmd->add_subcommand("apply", "Run a suite with the vector at each scale");
  a->model.AddTo(*apply);
  apply->add_option("--vector", a->vector, "Control-vector GGUF")->required();
  apply->add_option("--suite", a->suite, "Suite to measure (warden eval list)")->required();
  apply->add_option("--zoo", a->zoo, "A model-organism zoo, for held-out splits and zoo suites");
  apply->add_option("--scales", a->scales, "Scales to compare (default 0 1)");
  apply->add_option("--layers", a->layers, "Comma-separated layers to steer (default: every layer in the file)")
      ->delimiter(',');
  apply->add_option("--limit", a->limit, "First N samples of each task")->check(NonNegative());
  apply->add_option("--chat", a->chat, "Chat format (default auto)")->check(IsChatFormat());
  apply->add_option("--out", a->out, "Directory for one eval log per scale and task (default: none)");
  apply->add_flag("--json", a->json, "Print the results as JSON");
  apply->callback([a] { RunApply(*a); });
}

}  // namespace warden::cli
