// warden acts capture | probe train|eval | ccs: reading the model's activations (docs/interp.md).
//   acts capture  activations of chosen hooks over labelled conversations, to safetensors shards
//   probe train   a layer sweep on validation data, a linear probe on the best hook, its threshold
//                 calibrated to a false-positive rate, test metrics, and a monitor pack
//   probe eval    a monitor pack on new labelled data (refuses a pack built on another model)
//   ccs           an unsupervised truth direction from contrast pairs, accuracy reported both ways
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/rng.h"
#include "warden/interp/ccs.h"
#include "warden/interp/monitor_pack.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;
using namespace warden::interp;

struct CaptureArgs {
  ModelOptions model;
  std::string data, hooks = "blocks.*.hook_resid_post", position = "response-mean", chat = "auto";
  size_t batch = 16;
};

ActivationSet Capture(const CaptureArgs& a, const engine::LanguageModel& lm, const std::vector<LabelledConversation>& data) {
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

struct CcsArgs : CaptureArgs {
  int restarts = 10;
  bool json = false;
};

// truth-pairs rows {"id", "input", "true", "false", "split", "cluster"}: two conversations each,
// in an order fixed per pair by a hash (so "first is true" is a balanced, hidden label).
void RunCcs(const CcsArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  std::string text = ReadFileToString(a.data).ValueOrThrow();
  std::vector<LabelledConversation> first, second;
  std::vector<int> first_true;
  std::vector<std::string> splits, categories;
  size_t line = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line;
    std::string_view l(text.data() + start, end - start);
    start = end + 1;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = a.data + ":" + std::to_string(line);
    Json j = ParseJson(l, where).ValueOrThrow();
    std::string id, input, t, f;
    for (auto [k, v] : {std::pair<const char*, std::string*>{"id", &id}, {"input", &input}, {"true", &t}, {"false", &f}}) {
      JsonString(j, k, where, v).ThrowIfError();
    }
    const bool swap = Fnv1a64(id) % 2 == 1;
    auto conv = [&](const std::string& answer) {
      LabelledConversation c;
      c.id = id;
      c.messages = {{"user", input}, {"assistant", answer}};
      c.split = j.value("split", "");
      c.cluster = j.value("cluster", id);
      return c;
    };
    first.push_back(conv(swap ? f : t));
    second.push_back(conv(swap ? t : f));
    first_true.push_back(swap ? 0 : 1);
    splits.push_back(j.value("split", ""));
    categories.push_back(j.value("category", ""));
  }
  if (first.size() < 4) throw Error(Status::InvalidArgument(a.data + ": fewer than 4 contrast pairs"));
  ActivationSet A = Capture(a, *lm, first), B = Capture(a, *lm, second);
  std::vector<size_t> train, test;
  for (size_t i = 0; i < splits.size(); ++i) (splits[i] == "train" ? train : test).push_back(i);
  if (train.size() < 2 || test.empty()) throw Error(Status::InvalidArgument(a.data + ": need train and test pairs"));
  auto pick = [](const std::vector<int>& v, const std::vector<size_t>& rows) {
    std::vector<int> out;
    for (size_t i : rows) out.push_back(v[i]);
    return out;
  };
  Json hooks = Json::array();
  double best_loss = INFINITY;
  Json best;
  for (size_t h = 0; h < A.hooks.size(); ++h) {
    CcsOptions o;
    o.restarts = a.restarts;
    CcsProbe p = TrainCcs(SelectRows(A.hooks[h].values, train), SelectRows(B.hooks[h].values, train), o).ValueOrThrow();
    const double train_acc = PairAccuracy(p.PredictFirstTrue(SelectRows(A.hooks[h].values, train),
                                                             SelectRows(B.hooks[h].values, train)), pick(first_true, train));
    const double raw = PairAccuracy(p.PredictFirstTrue(SelectRows(A.hooks[h].values, test), SelectRows(B.hooks[h].values, test)),
                                    pick(first_true, test));
    const double signed_acc = train_acc >= 0.5 ? raw : 1 - raw;  // the sign the training labels pick
    Json j = {{"hook", A.hooks[h].name}, {"ccs_loss", p.loss}, {"test_accuracy_as_found", raw},
              {"test_accuracy_sign_from_train_labels", signed_acc}, {"test_accuracy_best_sign", std::max(raw, 1 - raw)},
              {"train_accuracy_as_found", train_acc}};
    std::map<std::string, std::vector<size_t>> by;
    for (size_t i : test) by[categories[i]].push_back(i);
    for (const auto& [cat, rows] : by) {
      if (cat.empty()) continue;
      const double acc = PairAccuracy(p.PredictFirstTrue(SelectRows(A.hooks[h].values, rows), SelectRows(B.hooks[h].values, rows)),
                                      pick(first_true, rows));
      j["test_by_category"][cat] = {{"pairs", rows.size()}, {"accuracy_sign_from_train_labels", train_acc >= 0.5 ? acc : 1 - acc}};
    }
    if (p.loss < best_loss) {
      best_loss = p.loss;
      best = j;
    }
    hooks.push_back(j);
  }
  Json out = {{"pairs_train", train.size()}, {"pairs_test", test.size()}, {"hooks", hooks},
              {"chosen_by_lowest_ccs_loss", best}};
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const Json& j : hooks) {
    std::printf("%-28s loss %.4f  test accuracy: as found %.3f, sign from train labels %.3f",
                j["hook"].get<std::string>().c_str(), j["ccs_loss"].get<double>(), j["test_accuracy_as_found"].get<double>(),
                j["test_accuracy_sign_from_train_labels"].get<double>());
    if (j.contains("test_by_category")) {
      for (const auto& [cat, m] : j["test_by_category"].items()) {
        std::printf("; %s %.3f (%zu)", cat.c_str(), m["accuracy_sign_from_train_labels"].get<double>(), m["pairs"].get<size_t>());
      }
    }
    std::printf("\n");
  }
  std::printf("chosen (lowest CCS loss, no labels): %s\n", best["hook"].get<std::string>().c_str());
}

void AddCaptureOptions(CLI::App* cmd, CaptureArgs* a) {
  a->model.AddTo(*cmd);
  cmd->add_option("--data", a->data, "Labelled conversations, JSONL")->required();
  cmd->add_option("--hooks", a->hooks, "Hooks to read (default blocks.*.hook_resid_post)");
  cmd->add_option("--position", a->position, "last-prompt, response-mean or last (default response-mean)");
  cmd->add_option("--chat", a->chat, "Chat format (default auto)");
  cmd->add_option("--batch", a->batch, "Conversations per forward pass (default 16)");
}

}  // namespace

void RegisterProbe(CLI::App& app) {
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

  auto k = std::make_shared<CcsArgs>();
  CLI::App* ccs = app.add_subcommand("ccs", "Unsupervised truth direction (CCS) from contrast pairs");
  AddCaptureOptions(ccs, k.get());
  ccs->add_option("--restarts", k->restarts, "Random restarts (default 10)");
  ccs->add_flag("--json", k->json, "Print the report as JSON");
  ccs->callback([k] { RunCcs(*k); });
}

}  // namespace warden::cli
