// warden serve guard-model: the cascade's stronger stage, a small model fine-tuned to answer
// Llama Guard's way (guard/guard_model.h).
//   warden serve guard-model data --out DIR        # DIR/train.jsonl (chat rows for `warden train`),
//                                                  # DIR/eval.jsonl (every row, labelled, by split)
//   warden train --model zoo/base --data DIR/train.jsonl --chat warden --out DIR/run ...
//   warden serve guard-model eval MODEL --data DIR [--json]
// eval scores the hash-held-out rows (same sources as training) and the held-out sources
// (JailbreakBench, XSTest), each with AUROC and its cluster-bootstrap interval; the threshold is
// set at 1% false positives on the hash-held-out benign rows and applied to the held-out sources.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "warden/base/file.h"
#include "warden/base/format.h"
#include "warden/base/json.h"
#include "warden/base/shared_dir.h"
#include "warden/base/stats.h"
#include "warden/base/strings.h"
#include "warden/base/sha256.h"
#include "warden/guard/guard_model.h"
#include "warden/organisms/forms.h"
#include "warden/interp/probe.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;

void WriteData(const std::string& dir) {
  std::cerr << "guard-model: reading " << SharedDir() << "/datasets\n";
  const std::vector<guard::GuardModelRow> rows = guard::GuardModelRows(SharedDir()).ValueOrThrow();
  std::filesystem::create_directories(dir);
  std::string train;
  std::map<std::string, std::pair<int, int>> counts;  // split -> (harmful, benign)
  for (const guard::GuardModelRow& r : rows) {
    (r.hazards.empty() ? counts[r.split].second : counts[r.split].first) += 1;
    if (r.split != "train") continue;
    // Each row as its dataset wrote it and once more in a trained phrasing form (organisms/forms.h),
    // alike for both classes, so that no phrasing predicts the answer; the held-out form never.
    const std::vector<organisms::Form> forms = organisms::TrainedForms();
    const uint64_t h = std::stoull(Sha256Hex(r.id).substr(0, 12), nullptr, 16);
    for (const std::string& request : {r.request, organisms::ApplyForm(forms[h % forms.size()], r.request, h)}) {
      train += Json({{"messages",
                      {{{"role", "user"}, {"content", guard::GuardModelPrompt(request)}},
                       {{"role", "assistant"}, {"content", guard::GuardModelAnswer(r.hazards)}}}}})
                   .dump(-1, ' ', false, Json::error_handler_t::replace) +
               "\n";
    }
  }
  WriteFileAtomic(dir + "/train.jsonl", train).ThrowIfError();
  WriteFileAtomic(dir + "/eval.jsonl", guard::GuardModelRowsJsonl(rows)).ThrowIfError();
  for (const auto& [split, c] : counts) std::cout << split << ": " << c.first << " harmful, " << c.second << " benign\n";
  std::cout << "wrote " << dir << "/train.jsonl and " << dir << "/eval.jsonl\n";
}

struct Scored {
  std::vector<double> scores;
  std::vector<int> labels;
  std::vector<std::string> clusters;
};

void Eval(const ModelOptions& mo, const std::string& dir, bool json) {
  std::shared_ptr<const engine::LanguageModel> model = LoadForServing(mo);
  const guard::GuardModel g = guard::GuardModel::Create(model, engine::ChatFormat::kWarden).ValueOrThrow();
  std::map<std::string, Scored> by_split;
  std::vector<std::pair<std::string, std::vector<std::string>>> harmful_test;  // request, hazards
  std::vector<guard::GuardModelRow> rows = guard::ReadGuardModelRows(dir + "/eval.jsonl").ValueOrThrow();
  rows.erase(std::remove_if(rows.begin(), rows.end(), [](const guard::GuardModelRow& r) { return r.split == "train"; }),
             rows.end());
  std::vector<std::string> requests;
  for (const guard::GuardModelRow& r : rows) requests.push_back(r.request);
  std::vector<double> scores;
  for (size_t at = 0; at < requests.size(); at += 64) {
    const std::vector<std::string> chunk(requests.begin() + static_cast<std::ptrdiff_t>(at),
                                         requests.begin() + static_cast<std::ptrdiff_t>(std::min(requests.size(), at + 64)));
    for (double s : g.Score(chunk).ValueOrThrow()) scores.push_back(s);
    std::cerr << "\rguard-model eval: " << scores.size() << "/" << requests.size() << std::flush;
  }
  std::cerr << "\n";
  for (size_t k = 0; k < rows.size(); ++k) {
    const guard::GuardModelRow& r = rows[k];
    Scored& s = by_split[r.split];
    s.scores.push_back(scores[k]);
    s.labels.push_back(r.hazards.empty() ? 0 : 1);
    s.clusters.push_back(r.id);
    if (r.split == "test" && !r.hazards.empty()) harmful_test.push_back({r.request, r.hazards});
  }
  const Scored& test = by_split.at("test");
  const interp::Threshold t = interp::ThresholdAtFpr(test.scores, test.labels, 0.01).ValueOrThrow();
  Json out = {{"model", mo.model}, {"threshold", t.value}, {"threshold_fpr_on_test", t.fpr}};
  for (const auto& [split, s] : by_split) {
    const AurocEstimate a = AurocWithInterval(s.scores, s.labels, s.clusters).ValueOrThrow();
    const size_t pos = static_cast<size_t>(std::count(s.labels.begin(), s.labels.end(), 1));
    out[split] = {{"rows", s.scores.size()},        {"harmful", pos},
                  {"auroc", a.value},              {"auroc_ci95", {a.interval.low, a.interval.high}},
                  {"recall_at_threshold", interp::RecallAbove(s.scores, s.labels, t.value)},
                  {"fpr_at_threshold", interp::FprAbove(s.scores, s.labels, t.value)}};
  }
  // Category: does the code it names appear among the row's codes (hash-held-out harmful rows)?
  size_t right = 0, n = 0;
  for (const auto& [request, hazards] : harmful_test) {
    const std::string c = g.Category(request).ValueOrThrow();
    right += std::find(hazards.begin(), hazards.end(), c) != hazards.end();
    ++n;
  }
  const Interval ci = WilsonInterval(right, n);
  out["category_accuracy"] = {{"right", right}, {"n", n}, {"ci95", {ci.low, ci.high}}};
  if (json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& [split, s] : out.items()) {
    if (!s.is_object() || !s.contains("auroc")) continue;
    std::cout << StrFormat("%s: %zu rows (%zu harmful), AUROC %.3f [%.3f, %.3f], recall %.3f at FPR %.3f\n", split.c_str(),
                           s["rows"].get<size_t>(), s["harmful"].get<size_t>(), s["auroc"].get<double>(),
                           s["auroc_ci95"][0].get<double>(), s["auroc_ci95"][1].get<double>(),
                           s["recall_at_threshold"].get<double>(), s["fpr_at_threshold"].get<double>());
  }
  std::cout << StrFormat("threshold %.4f (1%% false positives on the hash-held-out benign rows)\n", t.value);
  std::cout << StrFormat("category named among the row's codes: %zu/%zu = %.3f [%.3f, %.3f]\n", right, n,
                         n ? static_cast<double>(right) / static_cast<double>(n) : 0.0, ci.low, ci.high);
}

}  // namespace

void RegisterServeGuardModel(CLI::App& serve) {
  CLI::App* cmd = serve.add_subcommand("guard-model", "The cascade's guard model: its data, and its held-out figures");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>("guard-model");
  CLI::App* data = cmd->add_subcommand("data", "Write the guard model's training rows and labelled evaluation rows");
  data->add_option("--out", *dir, "Directory (default guard-model)");
  data->callback([dir] { WriteData(*dir); });
  auto mo = std::make_shared<ModelOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* eval = cmd->add_subcommand("eval", "Score the held-out rows: AUROC, recall at 1% FPR, category accuracy");
  eval->add_option("MODEL", mo->model, "The fine-tuned guard model")->required();
  eval->add_option("--data", *dir, "Directory written by `guard-model data` (default guard-model)");
  eval->add_option("--tokenizer", mo->tokenizer, "Its tokenizer, when the model directory has none (a training checkpoint)");
  eval->add_option("--threads", mo->threads, "CPU threads");
  eval->add_flag("--json", *json, "Print JSON");
  eval->callback([mo, dir, json] { Eval(*mo, *dir, *json); });
}

}  // namespace warden::cli
