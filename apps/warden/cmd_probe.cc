// warden probe train|eval|overlap: linear probes as monitors (docs/interp.md).
//   train    a layer sweep on validation data, a linear probe on the best hook, its threshold
//            calibrated to a false-positive rate, test metrics, and a monitor pack
//   eval     a monitor pack on new labelled data (refuses a pack built on another model)
//   train-text  the same on the requests' words: a text monitor, bound to no model
//   calibrate-output  a request monitor read per token, its threshold set on the model's answers
//   overlap  which samples of a dataset a pack was built from (exit 1 if any)
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "capture_options.h"
#include "flags.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/interp/monitor_pack.h"
#include "warden/interp/monitor_training.h"
#include "warden/interp/output_calibration.h"
#include "warden/interp/text_monitor.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;
using namespace warden::interp;

Json ToJson(const DetectionMetrics& m) {
  Json j = {{"n", m.n}, {"recall_at_threshold", m.recall}, {"fpr_at_threshold", m.fpr}};
  if (m.auroc) {
    j["auroc"] = {{"value", *m.auroc}, {"ci_low", m.auroc_ci.low}, {"ci_high", m.auroc_ci.high}};
  } else {
    j["auroc"] = nullptr;
    j["auroc_error"] = m.auroc_error;
  }
  if (m.calibration_error) j["calibration_error"] = *m.calibration_error;
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
  MonitorTrainOptions mo;
  mo.probe.kind = ProbeKindFromName(a.kind).ValueOrThrow();
  mo.probe.l2 = a.l2;
  mo.target_fpr = a.target_fpr;
  mo.validation = a.validation;
  mo.name = a.name;
  mo.calibration_data = a.data;
  Result<MonitorTraining> trained = TrainMonitor(set, mo);
  if (!trained.ok()) throw Error(Status::InvalidArgument(a.data + ": " + trained.status().message()));
  const MonitorTraining& t = *trained;
  const std::vector<size_t>&fit = t.fit, &val = t.validation, &test = t.test;
  WriteMonitorPack(t.pack, a.out).ThrowIfError();

  Json sweep_json = Json::array();
  for (const SweepPoint& p : t.sweep.points) sweep_json.push_back({{"hook", p.hook}, {"validation_auroc", p.validation_auroc}});
  Json out = {{"pack", a.out},           {"hook", t.pack.hook},     {"kind", a.kind},
              {"position", a.position},  {"model_sha256", set.model_sha256},
              {"fit_rows", fit.size()},  {"validation_rows", val.size()}, {"test_rows", test.size()},
              {"threshold", t.pack.threshold}, {"target_fpr", a.target_fpr}, {"validation_fpr", t.pack.calibration_fpr},
              {"sweep", sweep_json}};
  if (t.test_metrics) out["test"] = ToJson(*t.test_metrics);
  for (const auto& [category, m] : t.test_by_category) out["test_by_category"][category] = ToJson(m);
  if (a.baseline == "bow" && !test.empty()) {
    // The same rows, read as text (the final user message) instead of activations.
    const BaselineMetrics b = BagOfWordsBaseline(set, data, t, a.target_fpr).ValueOrThrow();
    out["baseline_bag_of_words"] = ToJson(*b.test);
    out["baseline_bag_of_words"]["threshold"] = b.threshold;
  }
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  double best_auroc = 0;
  for (const SweepPoint& p : t.sweep.points) {
    if (p.hook == t.pack.hook) best_auroc = p.validation_auroc;
  }
  std::printf("best hook %s (validation AUROC %.3f); threshold %.4f at validation FPR %.3f\n", t.pack.hook.c_str(),
              best_auroc, t.pack.threshold, t.pack.calibration_fpr);
  if (out.contains("test") && !out["test"]["auroc"].is_null()) {
    const Json& m = out["test"];
    std::printf("test: AUROC %.3f [%.3f, %.3f], recall %.3f at FPR %.3f (n=%zu)\n", m["auroc"]["value"].get<double>(),
                m["auroc"]["ci_low"].get<double>(), m["auroc"]["ci_high"].get<double>(),
                m["recall_at_threshold"].get<double>(), m["fpr_at_threshold"].get<double>(), test.size());
  }
  if (out.contains("baseline_bag_of_words") && !out["baseline_bag_of_words"]["auroc"].is_null()) {
    const Json& m = out["baseline_bag_of_words"];
    std::printf("bag-of-words baseline, same rows: AUROC %.3f [%.3f, %.3f], recall %.3f at FPR %.3f\n",
                m["auroc"]["value"].get<double>(), m["auroc"]["ci_low"].get<double>(), m["auroc"]["ci_high"].get<double>(),
                m["recall_at_threshold"].get<double>(), m["fpr_at_threshold"].get<double>());
  }
  std::printf("monitor pack: %s\n", a.out.c_str());
}

struct TextArgs {
  std::string data, out = "text-monitor.safetensors", name = "text";
  double target_fpr = 0.01, validation = 0.2, l2 = 1e-3;
  bool json = false;
};

// A text monitor: the same training on the requests' words (interp/text_monitor.h).
void RunProbeTrainText(const TextArgs& a) {
  auto data = LoadLabelledConversations(a.data).ValueOrThrow();
  MonitorTrainOptions mo;
  mo.probe.l2 = a.l2;
  mo.target_fpr = a.target_fpr;
  mo.validation = a.validation;
  mo.name = a.name;
  mo.calibration_data = a.data;
  Result<MonitorTraining> trained = TrainTextMonitor(data, mo);
  if (!trained.ok()) throw Error(Status::InvalidArgument(a.data + ": " + trained.status().message()));
  const MonitorTraining& t = *trained;
  WriteMonitorPack(t.pack, a.out).ThrowIfError();
  Json out = {{"pack", a.out}, {"hook", t.pack.hook}, {"fit_rows", t.fit.size()}, {"validation_rows", t.validation.size()},
              {"test_rows", t.test.size()}, {"threshold", t.pack.threshold}, {"target_fpr", a.target_fpr},
              {"validation_fpr", t.pack.calibration_fpr}};
  if (t.test_metrics) out["test"] = ToJson(*t.test_metrics);
  for (const auto& [category, m] : t.test_by_category) out["test_by_category"][category] = ToJson(m);
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("text monitor (bag of words): threshold %.4f at validation FPR %.3f\n", t.pack.threshold, t.pack.calibration_fpr);
  for (const auto& [category, m] : t.test_by_category) {
    if (m.auroc) {
      std::printf("test %s: AUROC %.3f [%.3f, %.3f], recall %.3f at FPR %.3f (n=%zu)\n", category.c_str(), *m.auroc,
                  m.auroc_ci.low, m.auroc_ci.high, m.recall, m.fpr, m.n);
    }
  }
  std::printf("monitor pack: %s\n", a.out.c_str());
}

struct CalibrateArgs {
  ModelOptions model;
  std::string pack, data, position = "last", out = "monitor-output.safetensors";
  double target_fpr = 0.01;
  int64_t max_tokens = 48;
};

// A request monitor made into an output monitor: read per token, its threshold set on the
// model's own answers to benign requests (interp/output_calibration.h).
void RunProbeCalibrateOutput(const CalibrateArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  MonitorPack pack = ReadMonitorPack(a.pack, lm->WeightsSha256().ValueOrThrow()).ValueOrThrow();
  auto data = LoadLabelledConversations(a.data).ValueOrThrow();
  OutputCalibrationOptions o;
  o.position = PositionRuleFromName(a.position).ValueOrThrow();
  o.target_fpr = a.target_fpr;
  o.max_tokens = a.max_tokens;
  OutputCalibration c = CalibrateOutputMonitor(*lm, pack, data, o).ValueOrThrow();
  WriteMonitorPack(c.pack, a.out).ThrowIfError();
  std::printf("output monitor %s (reads %s per token): threshold %.4f, cuts %.3f of %zu answers to benign train requests\n",
              a.out.c_str(), a.position.c_str(), c.pack.threshold, c.calibration_fpr, c.calibration_answers);
  for (const auto& [category, cut] : c.test_cut) {
    std::printf("  held-out benign (%s): cuts %zu of %zu answers\n", category.c_str(), cut.first, cut.second);
  }
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
  Json out = ToJson(MeasureDetection(set, rows, scores, pack.threshold, pack.probe.kind == ProbeKind::kLogistic));
  out["pack"] = a.pack;
  out["hook"] = pack.hook;
  out["threshold"] = pack.threshold;
  std::cout << out.dump(2) << "\n";
}

}  // namespace

void RegisterProbe(CLI::App& app) {
  CLI::App* probe = app.add_subcommand("probe", "Train and evaluate linear probes (monitor packs)");
  probe->require_subcommand(1);
  auto ca = std::make_shared<CalibrateArgs>();
  CLI::App* cal = probe->add_subcommand("calibrate-output",
                                        "Make a request monitor an output monitor: its threshold set on the model's answers");
  ca->model.AddTo(*cal);
  cal->add_option("--pack", ca->pack, "The monitor pack (trained on requests)")->required();
  cal->add_option("--data", ca->data, "Labelled requests: benign train rows calibrate, other benign rows measure")->required();
  cal->add_option("--position", ca->position, "last (each token) or response-mean (default last)")
      ->check(CLI::IsMember({"last", "response-mean"}));
  cal->add_option("--target-fpr", ca->target_fpr, "Share of benign answers allowed to be cut (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  cal->add_option("--max-tokens", ca->max_tokens, "Tokens per answer (default 48)");
  cal->add_option("--out", ca->out, "The output monitor pack (default monitor-output.safetensors)");
  cal->callback([ca] { RunProbeCalibrateOutput(*ca); });
  auto tx = std::make_shared<TextArgs>();
  CLI::App* text = probe->add_subcommand("train-text", "A text monitor: the same training on the requests' words (no model)");
  text->add_option("--data", tx->data, "Labelled conversations (JSONL: messages, label, split, category, cluster)")->required();
  text->add_option("--target-fpr", tx->target_fpr, "False-positive rate the threshold is calibrated to (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  text->add_option("--validation", tx->validation, "Share of train clusters held for validation (default 0.2)")
      ->check(CLI::Range(0.0, 1.0));
  text->add_option("--l2", tx->l2, "L2 penalty (default 1e-3)")->check(NonNegative());
  text->add_option("--name", tx->name, "What the monitor detects");
  text->add_option("--out", tx->out, "Monitor pack file (default text-monitor.safetensors)");
  text->add_flag("--json", tx->json, "Print the report as JSON");
  text->callback([tx] { RunProbeTrainText(*tx); });
  auto p = std::make_shared<ProbeArgs>();
  CLI::App* train = probe->add_subcommand("train", "Layer sweep, probe, calibrated threshold, monitor pack");
  AddCaptureOptions(train, p.get());
  train->add_option("--kind", p->kind, "logistic or diff-means (default logistic)")->check(IsProbeKind());
  train->add_option("--target-fpr", p->target_fpr, "False-positive rate the threshold is calibrated to (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  train->add_option("--validation", p->validation, "Share of train clusters held for validation (default 0.2)")
      ->check(CLI::Range(0.0, 1.0));
  train->add_option("--l2", p->l2, "L2 penalty of logistic probes (default 1e-3)")->check(NonNegative());
  train->add_option("--name", p->name, "What the monitor detects");
  train->add_option("--baseline", p->baseline, "Also train a text baseline on the same rows: bow (bag of words)")
      ->check(CLI::IsMember({"bow"}));
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
