// warden ccs: an unsupervised truth direction (Contrast-Consistent Search) from contrast pairs:
// one per hook, the hook chosen without labels, accuracy reported as found and with the sign
// fixed by the training labels, with 95% intervals (docs/interp.md).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "capture_options.h"
#include "flags.h"
#include "warden/base/format.h"
#include "warden/interp/ccs.h"
#include "warden/interp/own_answer.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;
using namespace warden::interp;

struct CcsArgs : CaptureArgs {
  int restarts = 10;
  double l2 = 0.01;  // measured on the liar: a unique direction (same for every seed), docs/interp.md
  uint64_t seed = 0;
  std::string answers;  // "AFFIRM,DENY": also report the model's own answer
  bool json = false;
  bool position_given = false;  // --position on the command line
};

Json ToJson(const CcsAccuracy& a) {
  return {{"accuracy", a.value}, {"ci95", {a.ci.low, a.ci.high}}, {"pairs", a.pairs}};
}

Json ToJson(const PairTestAccuracy& t) {
  Json j = ToJson(t.all);
  for (const auto& [category, a] : t.by_category) j["by_category"][category] = ToJson(a);
  return j;
}

Json ToJson(const CcsHookResult& r) {
  Json j = {{"hook", r.hook},
            {"ccs_loss", r.loss},
            {"validation_ccs_loss", r.validation_loss},
            {"train_accuracy_as_found", r.train_accuracy_as_found},
            {"test_accuracy_as_found", r.test_as_found.value},
            {"test_accuracy_sign_from_train_labels", r.test.all.value},
            {"test_accuracy_best_sign", std::max(r.test_as_found.value, 1 - r.test_as_found.value)},
            {"test", ToJson(r.test)}};
  return j;
}

std::string Describe(const CcsAccuracy& a) { return WithInterval(a.value, a.ci.low, a.ci.high) + StrFormat(" (%zu)", a.pairs); }

void PrintCategories(const PairTestAccuracy& t) {
  for (const auto& [category, acc] : t.by_category) std::printf("    %-22s %s\n", category.c_str(), Describe(acc).c_str());
}

// --answers "True.,False." as {affirm, deny}; empty when not given.
std::vector<std::string> ParseAnswers(const std::string& answers) {
  if (answers.empty()) return {};
  const size_t comma = answers.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 == answers.size()) {
    throw Error(Status::InvalidArgument("--answers: expected 'AFFIRM,DENY' (e.g. 'True.,False.'), got '" + answers + "'"));
  }
  return {answers.substr(0, comma), answers.substr(comma + 1)};
}

void RunCcs(const CcsArgs& a) {
  const std::vector<std::string> replies = ParseAnswers(a.answers);
  std::unique_ptr<engine::LanguageModel> lm = a.model.Load();
  ContrastPairs pairs = LoadContrastPairs(a.data).ValueOrThrow();
  if (pairs.size() < 4) throw Error(Status::InvalidArgument(a.data + ": fewer than 4 contrast pairs"));
  // Pairs that end in the user's turn (a question to judge) are read where the model answers:
  // the last prompt token, unless --position says otherwise.
  CcsArgs read = a;
  const bool questions = std::all_of(pairs.first.begin(), pairs.first.end(), [](const LabelledConversation& c) {
    return c.messages.back().role != "assistant";
  });
  if (questions && !a.position_given) read.position = "last-prompt";
  ActivationSet first = Capture(read, *lm, pairs.first), second = Capture(read, *lm, pairs.second);
  CcsOptions o;
  o.restarts = a.restarts;
  o.l2 = a.l2;
  o.seed = a.seed;
  CcsSweep sweep = SweepCcs(first, second, pairs, o).ValueOrThrow();
  Json hooks = Json::array();
  for (const CcsHookResult& r : sweep.hooks) hooks.push_back(ToJson(r));
  Json out = {{"pairs_train", sweep.fit_pairs + sweep.validation_pairs},
              {"pairs_fit", sweep.fit_pairs},
              {"pairs_validation", sweep.validation_pairs},
              {"pairs_test", sweep.test_pairs},
              {"position", PositionRuleName(first.rule)},
              {"l2", a.l2},
              {"seed", a.seed},
              {"hooks", hooks},
              {"chosen_by_lowest_validation_ccs_loss", hooks[sweep.chosen]}};
  std::optional<PairTestAccuracy> own;
  if (!replies.empty()) {
    CaptureOptions co;
    co.chat_format = a.chat;
    own = OwnAnswerBaseline(*lm, pairs, replies, co, a.seed).ValueOrThrow();
    out["own_answer"] = ToJson(*own);
    out["own_answer"]["replies"] = a.answers;
  }
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("%zu pairs to fit, %zu to choose the hook, %zu to test; read at %s\n", sweep.fit_pairs,
              sweep.validation_pairs, sweep.test_pairs, PositionRuleName(first.rule));
  for (const CcsHookResult& r : sweep.hooks) {
    std::printf("%-26s loss %.4f (validation %.4f)  test accuracy as found %.3f, sign from train labels %s\n",
                r.hook.c_str(), r.loss, r.validation_loss, r.test_as_found.value, Describe(r.test.all).c_str());
    PrintCategories(r.test);
  }
  std::printf("chosen without labels (lowest CCS loss on the validation pairs): %s\n",
              sweep.hooks[sweep.chosen].hook.c_str());
  if (own) {
    std::printf("the model's own answer (%s; the side it affirms more is called true): %s\n", a.answers.c_str(),
                Describe(own->all).c_str());
    PrintCategories(*own);
  }
}

}  // namespace

void RegisterCcs(CLI::App& app) {
  auto k = std::make_shared<CcsArgs>();
  CLI::App* ccs = app.add_subcommand("ccs", "Unsupervised truth direction (CCS) from contrast pairs");
  AddCaptureOptions(ccs, k.get());
  ccs->add_option("--restarts", k->restarts, "Random restarts (default 10)")->check(Positive());
  ccs->add_option("--l2", k->l2, "L2 penalty on the direction (default 0.01; 0 for plain CCS)")->check(NonNegative());
  ccs->add_option("--seed", k->seed, "Seed of the restarts' starting directions (default 0)")->check(NonNegative());
  ccs->add_option("--answers", k->answers,
                  "AFFIRM,DENY replies (e.g. 'True.,False.'): also report the model's own answer on question pairs");
  ccs->add_flag("--json", k->json, "Print the report as JSON");
  ccs->callback([k, ccs] {
    k->position_given = ccs->get_option("--position")->count() > 0;
    RunCcs(*k);
  });
}

}  // namespace warden::cli
