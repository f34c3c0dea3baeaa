// warden steer make|apply: steering vectors (docs/interp.md).
//   make   difference of means of labelled conversations' residual streams, written as a
//          llama.cpp control-vector GGUF
//   apply  runs an evaluation suite without and with the vector at each scale, and prints how
//          far the measured behaviour moved
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "warden/base/shared_dir.h"
#include "warden/evals/suites.h"
#include "warden/interp/steering.h"

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
  std::string vector, suite, zoo, chat = "auto", layers, out;
  std::vector<double> scales = {0, 1};
  size_t limit = 0;
  bool json = false;
};

void RunApply(const ApplyArgs& a) {
  std::unique_ptr<engine::LanguageModel> owned = a.model.Load();
  engine::LanguageModel& lm = *owned;
  interp::SteeringVector v = interp::ReadControlVector(a.vector).ValueOrThrow();
  std::vector<int> layers;
  if (a.layers.empty()) {
    for (const auto& [l, d] : v.directions) layers.push_back(l);
  } else {
    std::stringstream ss(a.layers);
    for (std::string item; std::getline(ss, item, ',');) {
      const int l = std::stoi(item);
      if (!v.directions.count(l)) throw Error(Status::InvalidArgument(a.vector + ": no direction for layer " + item));
      layers.push_back(l);
    }
  }
  evals::SuiteContext c;
  c.shared_dir = SharedDir();
  c.zoo_dir = a.zoo;
  std::vector<evals::Task> tasks = evals::LoadSuite(a.suite, c).ValueOrThrow();
  std::shared_ptr<const engine::LanguageModel> view(&lm, [](const engine::LanguageModel*) {});
  evals::EngineBackendOptions bo;
  bo.name = a.model.model;
  bo.chat_format = a.chat;
  auto backend = evals::MakeEngineBackend(view, bo).ValueOrThrow();
  Json rows = Json::array();
  for (double scale : a.scales) {
    lm.ClearSteering();
    for (int l : layers) {
      lm.AddSteering("blocks." + std::to_string(l) + ".hook_resid_post", v.directions.at(l), scale).ThrowIfError();
    }
    for (const evals::Task& t : tasks) {
      evals::RunOptions o;
      o.limit = a.limit;
      o.resume = false;
      if (!a.out.empty()) {
        std::filesystem::create_directories(a.out);
        std::string name = t.name;
        for (char& ch : name) ch = ch == '/' ? '_' : ch;
        o.log_path = a.out + "/" + name + "_scale" + std::to_string(scale) + ".jsonl";
      }
      evals::TaskResult r = evals::RunTask(t, *backend, o).ValueOrThrow();
      rows.push_back({{"scale", scale}, {"task", t.name}, {"metric", r.metric}, {"value", r.estimate.value},
                      {"ci_low", r.estimate.ci_low}, {"ci_high", r.estimate.ci_high}, {"n", r.estimate.n}, {"errors", r.errors}});
      if (!a.json) {
        std::printf("scale %6.2f  %-36s %s %.3f [%.3f, %.3f] n=%zu errors=%zu\n", scale, t.name.c_str(), r.metric.c_str(),
                    r.estimate.value, r.estimate.ci_low, r.estimate.ci_high, r.estimate.n, r.errors);
      }
    }
  }
  lm.ClearSteering();
  if (a.json) std::cout << Json{{"vector", a.vector}, {"layers", layers}, {"results", rows}}.dump(2) << "\n";
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
  make->add_option("--position", m->position, "last-prompt, response-mean or last (default last-prompt)");
  make->add_option("--split", m->split, "Rows of this split only (default train; empty: all)");
  make->add_option("--chat", m->chat, "Chat format (default auto)");
  make->add_option("--out", m->out, "Control-vector GGUF (default vector.gguf)");
  make->callback([m] { RunMake(*m); });

  auto a = std::make_shared<ApplyArgs>();
  CLI::App* apply = cmd->add_subcommand("apply", "Run a suite with the vector at each scale");
  a->model.AddTo(*apply);
  apply->add_option("--vector", a->vector, "Control-vector GGUF")->required();
  apply->add_option("--suite", a->suite, "Suite to measure (warden eval list)")->required();
  apply->add_option("--zoo", a->zoo, "A model-organism zoo, for held-out splits and zoo suites");
  apply->add_option("--scales", a->scales, "Scales to compare (default 0 1)");
  apply->add_option("--layers", a->layers, "Comma-separated layers to steer (default: every layer in the file)");
  apply->add_option("--limit", a->limit, "First N samples of each task");
  apply->add_option("--chat", a->chat, "Chat format (default auto)");
  apply->add_option("--out", a->out, "Directory for one eval log per scale and task (default: none)");
  apply->add_flag("--json", a->json, "Print the results as JSON");
  apply->callback([a] { RunApply(*a); });
}

}  // namespace warden::cli
