// warden probe train|eval|overlap: linear probes as monitors (docs/interp.md).
//   train    a layer sweep on validation data, a linear probe on the best hook, its threshold
//            calibrated to a false-positive rate, test metrics, and a monitor pack
//   eval     a monitor pack on new labelled data (refuses a pack built on another model)
//   overlap  which samples of a dataset a pack was built from (exit 1 if any)
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "capture_options.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/rng.h"
#include "warden/interp/monitor_pack.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;
using namespace warden::interp;

std::vector<int> Labels(const ActivationSet& s, const std::vector<size_t>& rows) {
  std::vector<int> y;
  for (size_t i : rows) y.push_back(s.items[i].label);
  return y;
}

// Metrics of scores on rows, at a threshold.
Json Metrics(const ActivationSet& s, const std::vector<size_t>& rows, const std::vector<double>& scores, double threshold,
             bool calibrated) {
  const std::vector<int> y = Labels(s, rows);
  std::vector<std::string> clusters;
  for (size_t i : rows) clusters.push_back(s.items[i].cluster);
  Json j = {{"n", rows.size()}, {"recall_at_threshold", RecallAbove(scores, y, threshold)},
            {"fpr_at_threshold", FprAbove(scores, y, threshold)}};
  auto auc = Auroc(scores, y);
  if (auc.ok()) {
    const Interval ci = BootstrapAuroc(scores, y, clusters);
    j["auroc"] = {{"value", *auc}, {"ci_low", ci.low}, {"ci_high", ci.high}};
  } else {
    j["auroc"] = nullptr;
    j["auroc_error"] = auc.status().message();
  }
  if (calibrated) j["calibration_error"] = CalibrationError(scores, y);
  return j;
}

struct ProbeArgs : CaptureArgs {
  std::string kind = "logistic", out = "probe.safetensors", name = "probe", baseline;
  double target_fpr = 0.01, validation = 0.2, l2 = 1e-3;
  bool json = false;
};

void RunProbeTrain(const ProbeArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  auto data = LoadLabelledConversations(a.data).ValueOrThrow();
  ActivationSet set = Capture(a, *lm, data);
  // Train rows split into fit and validation by cluster (items of one source stay together).
  std::vector<size_t> fit, val, test;
  for (size_t i = 0; i < set.items.size(); ++i) {
    const LabelledConversation& c = set.items[i];
    if (c.label < 0) continue;
    if (c.split == "train") {
      (static_cast<double>(Fnv1a64(c.cluster) % 1000) / 1000.0 < a.validation ? val : fit).push_back(i);
    } else {
      test.push_back(i);
    }
  }
  if (fit.empty() || val.empty()) {
    throw Error(Status::InvalidArgument(a.data + ": need rows with split \"train\" (for fitting and validation), found " +
                                        std::to_string(fit.size() + val.size())));
  }
  ProbeOptions po;
  po.kind = ProbeKindFromName(a.kind).ValueOrThrow();
  po.l2 = a.l2;
  SweepResult sweep = SweepHooks(set, fit, val, po).ValueOrThrow();
  const HookActivations& h = *set.Find(sweep.best);
  Probe probe = TrainProbe(SelectRows(h.values, fit), Labels(set, fit), po).ValueOrThrow();
  const std::vector<double> val_scores = probe.Score(SelectRows(h.values, val));
  Threshold t = ThresholdAtFpr(val_scores, Labels(set, val), a.target_fpr).ValueOrThrow();
  MonitorPack pack;
  pack.name = a.name;
  pack.probe = probe;
  pack.hook = h.name;
  pack.position = set.rule;
  pack.threshold = t.value;
  pack.target_fpr = a.target_fpr;
  pack.calibration_fpr = t.fpr;
  pack.calibration_data = a.data + " (validation rows of the train split)";
  pack.model_sha256 = set.model_sha256;
  for (size_t i : fit) pack.trained_on.push_back(set.items[i].id);
  for (size_t i : val) pack.trained_on.push_back(set.items[i].id);
  WriteMonitorPack(pack, a.out).ThrowIfError();

  Json sweep_json = Json::array();
  for (const SweepPoint& p : sweep.points) sweep_json.push_back({{"hook", p.hook}, {"validation_auroc", p.validation_auroc}});
  Json out = {{"pack", a.out},           {"hook", h.name},          {"kind", a.kind},
              {"position", a.position},  {"model_sha256", set.model_sha256},
              {"fit_rows", fit.size()},  {"validation_rows", val.size()}, {"test_rows", test.size()},
              {"threshold", t.value},    {"target_fpr", a.target_fpr}, {"validation_fpr", t.fpr},
              {"sweep", sweep_json}};
  if (!test.empty()) {
    const std::vector<double> scores = probe.Score(SelectRows(h.values, test));
    out["test"] = Metrics(set, test, scores, t.value, po.kind == ProbeKind::kLogistic);
    std::map<std::string, std::vector<size_t>> by;
    for (size_t k = 0; k < test.size(); ++k) by[set.items[test[k]].category].push_back(k);
    for (const auto& [cat, ks] : by) {
      std::vector<size_t> rows;
      std::vector<double> s;
      for (size_t k : ks) {
        rows.push_back(test[k]);
        s.push_back(scores[k]);
      }
      if (!cat.empty()) out["test_by_category"][cat] = Metrics(set, rows, s, t.value, false);
    }
  }
  if (a.baseline == "bow" && !test.empty()) {
    // The same rows, read as text (the final user message) instead of activations.
    std::vector<std::string> texts;
    for (const LabelledConversation& c : data) {
      std::string t;
      for (const engine::ChatMessage& m : c.messages) if (m.role == "user") t = m.content;
      texts.push_back(t);
    }
    const Matrix bow = BagOfWords(texts);
    Probe b = TrainProbe(SelectRows(bow, fit), Labels(set, fit), ProbeOptions{}).ValueOrThrow();
    Threshold bt = ThresholdAtFpr(b.Score(SelectRows(bow, val)), Labels(set, val), a.target_fpr).ValueOrThrow();
    out["baseline_bag_of_words"] = Metrics(set, test, b.Score(SelectRows(bow, test)), bt.value, false);
    out["baseline_bag_of_words"]["threshold"] = bt.value;
  }
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("best hook %s (validation AUROC %.3f); threshold %.4f at validation FPR %.3f\n", h.name.c_str(),
              sweep.points.empty() ? 0.0 : [&] { for (auto& p : sweep.points) if (p.hook == h.name) return p.validation_auroc; return 0.0; }(),
              t.value, t.fpr);
  if (out.contains("test") && !out["test"]["auroc"].is_null()) {
    const Json& m = out["test"];
    std::printf("test: AUROC %.3f [%.3f, %.3f], recall %.3f at FPR %.3f (n=%zu)\n", m["auroc"]["value"].get<double>(),
                m["auroc"]["ci_low"].get<double>(), m["auroc"]["ci_high"].get<double>(),
                m["recall_at_threshold"].get<double>(), m["fpr_at_threshold"].get<double>(), test.size());
  }
  std::printf("monitor pack: %s\n", a.out.c_str());
}

struct EvalArgs : CaptureArgs {
  std::string pack, split;
  bool json = false;
};

void RunProbeEval(const EvalArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  MonitorPack pack = ReadMonitorPack(a.pack, lm->WeightsSha256().ValueOrThrow()).ValueOrThrow();
  auto data = LoadLabelledConversations(a.data).ValueOrThrow();
  CaptureArgs c = a;
  c.hooks = pack.hook;
  c.position = PositionRuleName(pack.position);
  ActivationSet set = Capture(c, *lm, data);
  std::vector<size_t> rows;
  for (size_t i = 0; i < set.items.size(); ++i) {
    if (set.items[i].label >= 0 && (a.split.empty() || set.items[i].split == a.split)) rows.push_back(i);
  }
  if (rows.empty()) throw Error(Status::InvalidArgument(a.data + ": no labelled rows" + (a.split.empty() ? "" : " in split " + a.split)));
  const std::vector<double> scores = pack.probe.Score(SelectRows(set.hooks[0].values, rows));
  Json out = Metrics(set, rows, scores, pack.threshold, pack.probe.kind == ProbeKind::kLogistic);
  out["pack"] = a.pack;
  out["hook"] = pack.hook;
  out["threshold"] = pack.threshold;
  std::cout << out.dump(2) << "\n";
}

}  // namespace

void RegisterProbe(CLI::App& app) {
  CLI::App* probe = app.add_subcommand("probe", "Train and evaluate linear probes (monitor packs)");
  probe->require_subcommand(1);
  auto p = std::make_shared<ProbeArgs>();
  CLI::App* train = probe->add_subcommand("train", "Layer sweep, probe, calibrated threshold, monitor pack");
  AddCaptureOptions(train, p.get());
  train->add_option("--kind", p->kind, "logistic or diff-means (default logistic)");
  train->add_option("--target-fpr", p->target_fpr, "False-positive rate the threshold is calibrated to (default 0.01)");
  train->add_option("--validation", p->validation, "Share of train clusters held for validation (default 0.2)");
  train->add_option("--l2", p->l2, "L2 penalty of logistic probes (default 1e-3)");
  train->add_option("--name", p->name, "What the monitor detects");
  train->add_option("--baseline", p->baseline, "Also train a text baseline on the same rows: bow (bag of words)");
  train->add_option("--out", p->out, "Monitor pack file (default probe.safetensors)");
  train->add_flag("--json", p->json, "Print the report as JSON");
  train->callback([p] { RunProbeTrain(*p); });

  auto e = std::make_shared<EvalArgs>();
  CLI::App* eval = probe->add_subcommand("eval", "Score labelled conversations with a monitor pack");
  AddCaptureOptions(eval, e.get());
  eval->add_option("--pack", e->pack, "Monitor pack")->required();
  eval->add_option("--split", e->split, "Only rows of this split");
  eval->callback([e] { RunProbeEval(*e); });

  // Provenance: which of a training set's samples a monitor was built from.
  auto pack_path = std::make_shared<std::string>();
  auto candidates = std::make_shared<std::string>();
  CLI::App* overlap = probe->add_subcommand("overlap", "Samples of a dataset that a monitor pack was built from");
  overlap->add_option("--pack", *pack_path, "Monitor pack")->required();
  overlap->add_option("--data", *candidates, "JSONL whose rows have an \"id\" (e.g. a training set)")->required();
  overlap->callback([pack_path, candidates] {
    MonitorPack pack = ReadMonitorPack(*pack_path, "").ValueOrThrow();
    std::vector<std::string> ids;
    for (const LabelledConversation& c : LoadLabelledConversations(*candidates).ValueOrThrow()) ids.push_back(c.id);
    const std::vector<std::string> used = OverlapWithPack(pack, ids);
    for (const std::string& id : used) std::printf("%s\n", id.c_str());
    std::fprintf(stderr, "%zu of %zu samples were used to build %s\n", used.size(), ids.size(), pack_path->c_str());
    if (!used.empty()) throw ExitWith{1};
  });

}

}  // namespace warden::cli
