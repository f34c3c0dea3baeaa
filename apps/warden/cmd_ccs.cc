// warden ccs: an unsupervised truth direction (Contrast-Consistent Search) from contrast pairs,
// its accuracy reported as found and with the sign fixed by the training labels (docs/interp.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "capture_options.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/rng.h"
#include "warden/interp/ccs.h"
#include "warden/interp/probe.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;
using namespace warden::interp;

struct CcsArgs : CaptureArgs {
  int restarts = 10;
  double l2 = 0;
  bool json = false;
  bool position_given = false;  // --position on the command line
};

// truth-pairs rows {"id", "input", "true", "false", "split", "cluster"} ("true"/"false" answers
// to "input", or each a whole conversation): two conversations each, in an order fixed per pair
// by a hash (so "first is true" is a balanced, hidden label).
void RunCcs(const CcsArgs& a) {
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  std::string text = ReadFileToString(a.data).ValueOrThrow();
  std::vector<LabelledConversation> first, second;
  std::vector<int> first_true;
  std::vector<std::string> splits, categories, clusters;
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
    std::string id;
    JsonString(j, "id", where, &id).ThrowIfError();
    const bool swap = Fnv1a64(id) % 2 == 1;
    // "true"/"false": an answer to "input", or a whole conversation (a messages array).
    auto conv = [&](const char* side) {
      LabelledConversation c;
      c.id = id;
      c.split = j.value("split", "");
      c.cluster = j.value("cluster", id);
      if (j.is_object() && j.contains(side) && j[side].is_array()) {
        c.messages = ParseMessages(j[side], where + ": field '" + side + "'").ValueOrThrow();
      } else {
        std::string input, answer;
        JsonString(j, "input", where, &input).ThrowIfError();
        JsonString(j, side, where, &answer).ThrowIfError();
        c.messages = {{"user", input}, {"assistant", answer}};
      }
      return c;
    };
    first.push_back(conv(swap ? "false" : "true"));
    second.push_back(conv(swap ? "true" : "false"));
    first_true.push_back(swap ? 0 : 1);
    splits.push_back(j.value("split", ""));
    categories.push_back(j.value("category", ""));
    clusters.push_back(j.value("cluster", id));
  }
  if (first.size() < 4) throw Error(Status::InvalidArgument(a.data + ": fewer than 4 contrast pairs"));
  // Pairs that end in the user's turn (a question to judge) are read where the model answers:
  // the last prompt token, unless --position says otherwise.
  CcsArgs read = a;
  const bool questions = std::all_of(first.begin(), first.end(), [](const LabelledConversation& c) {
    return !c.messages.empty() && c.messages.back().role != "assistant";
  });
  if (questions && !a.position_given) read.position = "last-prompt";
  ActivationSet A = Capture(read, *lm, first), B = Capture(read, *lm, second);
  // The train pairs split by cluster into fit (80%) and validation (20%): CCS trains on fit,
  // and the hook is the one whose direction has the lowest CCS loss on validation, no labels.
  std::vector<size_t> train, fit, val, test;
  for (size_t i = 0; i < splits.size(); ++i) {
    if (splits[i] != "train") {
      test.push_back(i);
      continue;
    }
    train.push_back(i);
    (Fnv1a64(clusters[i]) % 5 == 0 ? val : fit).push_back(i);
  }
  if (fit.size() < 2 || val.empty() || test.empty()) {
    throw Error(Status::InvalidArgument(a.data + ": need train pairs (in at least two clusters) and test pairs"));
  }
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
    o.l2 = a.l2;
    CcsProbe p = TrainCcs(SelectRows(A.hooks[h].values, fit), SelectRows(B.hooks[h].values, fit), o).ValueOrThrow();
    const double val_loss = p.Loss(SelectRows(A.hooks[h].values, val), SelectRows(B.hooks[h].values, val));
    const double train_acc = PairAccuracy(p.PredictFirstTrue(SelectRows(A.hooks[h].values, train),
                                                             SelectRows(B.hooks[h].values, train)), pick(first_true, train));
    const double raw = PairAccuracy(p.PredictFirstTrue(SelectRows(A.hooks[h].values, test), SelectRows(B.hooks[h].values, test)),
                                    pick(first_true, test));
    const double signed_acc = train_acc >= 0.5 ? raw : 1 - raw;  // the sign the training labels pick
    Json j = {{"hook", A.hooks[h].name}, {"ccs_loss", p.loss}, {"validation_ccs_loss", val_loss}, {"test_accuracy_as_found", raw},
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
    if (val_loss < best_loss) {
      best_loss = val_loss;
      best = j;
    }
    hooks.push_back(j);
  }
  Json out = {{"pairs_train", train.size()}, {"pairs_test", test.size()}, {"hooks", hooks},
              {"pairs_fit", fit.size()}, {"pairs_validation", val.size()},
              {"chosen_by_lowest_validation_ccs_loss", best}};
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const Json& j : hooks) {
    std::printf("%-28s loss %.4f (validation %.4f)  test accuracy: as found %.3f, sign from train labels %.3f",
                j["hook"].get<std::string>().c_str(), j["ccs_loss"].get<double>(), j["validation_ccs_loss"].get<double>(), j["test_accuracy_as_found"].get<double>(),
                j["test_accuracy_sign_from_train_labels"].get<double>());
    if (j.contains("test_by_category")) {
      for (const auto& [cat, m] : j["test_by_category"].items()) {
        std::printf("; %s %.3f (%zu)", cat.c_str(), m["accuracy_sign_from_train_labels"].get<double>(), m["pairs"].get<size_t>());
      }
    }
    std::printf("\n");
  }
  std::printf("chosen (lowest CCS loss on validation pairs, no labels): %s\n", best["hook"].get<std::string>().c_str());
}

}  // namespace

void RegisterCcs(CLI::App& app) {
  auto k = std::make_shared<CcsArgs>();
  CLI::App* ccs = app.add_subcommand("ccs", "Unsupervised truth direction (CCS) from contrast pairs");
  AddCaptureOptions(ccs, k.get());
  ccs->add_option("--restarts", k->restarts, "Random restarts (default 10)");
  ccs->add_option("--l2", k->l2, "L2 penalty on the direction (default 0)");
  ccs->add_flag("--json", k->json, "Print the report as JSON");
  ccs->callback([k, ccs] {
    k->position_given = ccs->get_option("--position")->count() > 0;
    RunCcs(*k);
  });
}

}  // namespace warden::cli
