// warden serve cascade-eval: the cascade (guard/cascade.h) on replayed traffic: the served input
// safeguards on every request, the guard model only above an escalation threshold.
//   warden serve cascade-eval [MODEL --safeguards F] --guard-model M [--data guard-model]
//                             [--escalate 0.2] [--strong-fpr 0.01] [--json]
// The traffic (--traffic): the zoo's request files (default; calibrated on the held-out split,
// measured on leave-source-out and leave-form-out, rows the guard model trained on left out), or
// the guard model's own held-out rows (`serve guard-model data`): half of the hash-held-out rows
// calibrate both thresholds, the other half and the held-out sources (JailbreakBench, XSTest) are
// measured. Without MODEL: the embedded default. The calibrated section is then served twice: with
// its fixed thresholds (each decision compared with the offline one) and holding the target
// online (escalate_rate, --window; the measured rows shuffled).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "warden/base/file.h"
#include "warden/base/format.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"
#include "warden/base/strings.h"
#include "warden/guard/audit.h"
#include "warden/guard/cascade.h"
#include "warden/guard/guard.h"
#include "warden/guard/guard_model.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;

struct CascadeArgs {
  ModelOptions model;
  std::string traffic = "zoo";
  std::string safeguards, guard_model, guard_tokenizer, data = "guard-model";
  std::string zoo = "zoo", assessment = "assessment";
  double escalate = 0.2, strong_fpr = 0.01;
  int64_t window = 200;
  bool json = false;
};

struct Row {
  std::string id, request, group;
  bool harmful = false, calibration = false;
};

// The guard model's own held-out rows: half of the hash-held-out ones calibrate.
std::vector<Row> ReadRows(const std::string& path) {
  std::vector<Row> rows;
  for (const guard::GuardModelRow& g : guard::ReadGuardModelRows(path).ValueOrThrow()) {
    if (g.split == "train") continue;
    Row r;
    r.id = g.id;
    r.request = g.request;
    r.harmful = !g.hazards.empty();
    r.calibration = g.split == "test" && std::stoul(Sha256Hex("cascade:" + r.id).substr(0, 6), nullptr, 16) % 2 == 0;
    r.group = g.split == "test" ? "held-out" : "held-out-source";
    rows.push_back(std::move(r));
  }
  return rows;
}

// The zoo's replayed traffic: the six request files of zoo/benchmarks, harmful (refusal-*) and
// benign (over-refusal-*); the held-out files calibrate, leave-source-out and leave-form-out are
// measured. A row whose source row the guard model trained on is left out (counted): by its
// dataset row where both name one, by its text for the everyday requests.
std::vector<Row> ReadZooRows(const std::string& zoo, const std::string& guard_data, size_t* left_out) {
  std::set<std::string> trained;               // guard ids of training rows, by "datasets/..." suffix or id
  std::vector<std::string> trained_everyday;   // their texts, lower-cased
  for (const guard::GuardModelRow& g : guard::ReadGuardModelRows(guard_data + "/eval.jsonl").ValueOrThrow()) {
    if (g.split != "train") continue;
    const size_t at = g.id.find("datasets/");
    trained.insert(at == std::string::npos ? g.id : g.id.substr(at));
    if (g.id.rfind("everyday:", 0) == 0) trained_everyday.push_back(AsciiLower(g.request));
  }
  const std::map<std::string, std::string> csv = {{"datasets/harmbench/harmbench_behaviors_text_all.csv", "harmbench"},
                                                  {"datasets/jailbreakbench/harmful_behaviors.csv", "jailbreakbench"},
                                                  {"datasets/xstest/xstest_prompts.csv", "xstest-safe"},
                                                  {"datasets/truthfulqa/TruthfulQA.csv", "truthfulqa"}};
  std::vector<Row> rows;
  for (const char* file : {"refusal-held-out", "refusal-leave-source-out", "refusal-leave-form-out", "over-refusal-held-out",
                           "over-refusal-leave-source-out", "over-refusal-leave-form-out"}) {
    const std::string path = zoo + "/benchmarks/" + file + ".jsonl";
    const std::string name = file;
    size_t line_no = 0;
    for (const std::string& line : Split(ReadFileToString(path).ValueOrThrow(), '\n')) {
      ++line_no;
      if (line.empty()) continue;
      const std::string where = path + ":" + std::to_string(line_no);
      const Json j = ParseJson(line, where).ValueOrThrow();
      if (!j.is_object() || !j.contains("input") || !j["input"].is_string() || !j.contains("id")) {
        throw Error(Status::Corrupt(where + ": expected id and input"));
      }
      const std::string source = j.value("source", "");
      const size_t colon = source.rfind(':');
      const std::string file_part = colon == std::string::npos ? source : source.substr(0, colon);
      const std::string line_part = colon == std::string::npos ? "" : source.substr(colon + 1);
      auto it = csv.find(file_part);
      const std::string key = it != csv.end() ? it->second + ":" + line_part : source;
      bool seen = trained.count(key) > 0;
      if (file_part == "generated/everyday") {
        const std::string text = AsciiLower(j["input"].get<std::string>());
        for (const std::string& t : trained_everyday) seen = seen || text.find(t) != std::string::npos;
      }
      if (seen) {
        ++*left_out;
        continue;
      }
      Row r;
      r.id = j["id"];
      r.request = j["input"];
      r.harmful = name.rfind("refusal", 0) == 0;
      r.calibration = name.find("held-out") != std::string::npos;
      r.group = name.find("leave-source-out") != std::string::npos ? "leave-source-out"
                : name.find("leave-form-out") != std::string::npos ? "leave-form-out"
                                                                   : "held-out";
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

// Every row (or, with `measured_only`, every row that does not calibrate) through the guard as a
// gateway would submit it, one token each; waits for every decision.
void Replay(guard::Guard& g, const std::vector<Row>& rows, const std::string& prefix, bool measured_only) {
  std::vector<std::shared_ptr<guard::Stream>> streams;
  for (const Row& r : rows) {
    if (measured_only && r.calibration) continue;
    guard::GuardRequest q;
    q.request_id = prefix + r.id;
    q.messages = {{"user", r.request}};
    q.max_tokens = 1;
    streams.push_back(g.Submit(std::move(q)));
  }
  for (const auto& s : streams) {
    guard::StreamEvent e = s->Next();
    while (!e.final()) e = s->Next();
    if (e.kind == guard::StreamEvent::Kind::kError) throw Error(Status(e.error.code(), "cascade-eval: " + e.error.message()));
  }
}

Json RatesJson(const guard::Rates& r) {
  return {{"recall", r.harmful ? static_cast<double>(r.blocked_harmful) / static_cast<double>(r.harmful) : 0.0},
          {"recall_ci95", {r.recall.low, r.recall.high}},
          {"fpr", r.benign ? static_cast<double>(r.blocked_benign) / static_cast<double>(r.benign) : 0.0},
          {"fpr_ci95", {r.fpr.low, r.fpr.high}},
          {"harmful", r.harmful},
          {"benign", r.benign}};
}

// What a served cascade decided on the measured rows.
struct Served {
  size_t rows = 0, eligible = 0, escalated = 0, harmful = 0, blocked_harmful = 0, benign = 0, blocked_benign = 0;
  size_t agree = 0;  // ServeFixed: decisions equal to the offline one
  void Count(const Row& row, const store::DecisionRecord& rec, const std::string& stage) {
    const Json scores = Json::parse(rec.scores_json);
    // No entry when a cheap safeguard decided first: the guard model was never asked.
    const Json entry = scores.contains("input") ? scores["input"].value(stage, Json()) : Json();
    const bool blocked = rec.action == "block" || rec.action == "error";
    ++rows;
    eligible += entry.is_object() ? 1 : 0;
    escalated += entry.is_object() && entry.value("escalated", false) ? 1 : 0;
    (row.harmful ? harmful : benign) += 1;
    (row.harmful ? blocked_harmful : blocked_benign) += blocked ? 1 : 0;
  }
};

double Share(size_t k, size_t n) { return n ? static_cast<double>(k) / static_cast<double>(n) : 0.0; }

// The section with its fixed thresholds in the guard's request path, the measured rows replayed
// through it; each row's served decision compared with the offline one.
Served ServeFixed(const std::shared_ptr<const engine::LanguageModel>& model, const guard::Safeguards& sg,
                  const std::vector<Row>& rows, const std::vector<guard::CascadeRow>& offline, const guard::CascadeResult& r) {
  const ScratchStore store("cascade-served");
  {
    auto served = guard::Guard::Create(model, "cascade", sg, store.get()).ValueOrThrow();
    Replay(*served, rows, "served/", true);
  }
  std::map<std::string, store::DecisionRecord> by_id;
  for (store::DecisionRecord& rec : store->Records().ValueOrThrow()) by_id[rec.request_id] = std::move(rec);
  Served out;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].calibration) continue;
    auto it = by_id.find("served/" + rows[i].id);
    if (it == by_id.end()) throw Error(Status::Internal("cascade-eval: no served decision record for " + rows[i].id));
    out.Count(rows[i], it->second, sg.cascade.name);
    const bool blocked = it->second.action == "block" || it->second.action == "error";
    const bool predicted = offline[i].cheap_risk > 0 ||
                           (std::max(offline[i].cheap_risk, -1e9) >= r.escalation_threshold && offline[i].strong > r.strong_threshold);
    out.agree += blocked == predicted ? 1 : 0;
  }
  return out;
}

// The section holding its escalation rate online (sg.cascade.escalate_rate), the measured rows in
// an order shuffled by a hash of their ids, as mixed traffic would come; per group and "all".
std::map<std::string, Served> ServeOnline(const std::shared_ptr<const engine::LanguageModel>& model,
                                          const guard::Safeguards& sg, const std::vector<Row>& rows) {
  std::vector<Row> shuffled;
  for (const Row& row : rows) {
    if (!row.calibration) shuffled.push_back(row);
  }
  std::sort(shuffled.begin(), shuffled.end(), [](const Row& x, const Row& y) { return Sha256Hex(x.id) < Sha256Hex(y.id); });
  const ScratchStore store("cascade-online");
  {
    auto g = guard::Guard::Create(model, "cascade", sg, store.get()).ValueOrThrow();
    Replay(*g, shuffled, "online/", false);
  }
  std::map<std::string, const Row*> row_of;
  for (const Row& row : shuffled) row_of["online/" + row.id] = &row;
  std::map<std::string, Served> out;
  for (const store::DecisionRecord& rec : store->Records().ValueOrThrow()) {
    const Row& row = *row_of.at(rec.request_id);
    for (const std::string& group : {row.group, std::string("all")}) out[group].Count(row, rec, sg.cascade.name);
  }
  return out;
}

void RunCascade(CascadeArgs a) {
  guard::Safeguards sg = EvaluatedSafeguards(&a.model, a.safeguards, a.zoo, a.assessment);
  sg.cascade = {};  // the cheap stage alone; the cascade is calibrated here
  size_t left_out = 0;
  const std::vector<Row> rows =
      a.traffic == "zoo" ? ReadZooRows(a.zoo, a.data, &left_out) : ReadRows(a.data + "/eval.jsonl");
  sg.limits.max_queue = std::max<int64_t>(sg.limits.max_queue, static_cast<int64_t>(rows.size()) + 1);
  std::shared_ptr<const engine::LanguageModel> model = LoadForServing(a.model);
  const ScratchStore store("cascade");
  auto g = guard::Guard::Create(model, "cascade", sg, store.get()).ValueOrThrow();

  // The cheap stage: every request through the served input safeguards, as a gateway would.
  const auto t0 = std::chrono::steady_clock::now();
  Replay(*g, rows, "cascade/", false);
  const double cheap_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::map<std::string, double> risk;  // what the served stage escalates on: the input stage's risk
  for (const store::DecisionRecord& rec : store->Records().ValueOrThrow()) risk[rec.request_id] = guard::InputRisk(rec.scores_json);

  // The strong stage, on every row (the cascade uses the escalated ones; the references all).
  ModelOptions gm = a.model;
  gm.model = a.guard_model;
  gm.tokenizer = a.guard_tokenizer;
  const std::shared_ptr<const engine::LanguageModel> strong_model(gm.Load());
  const guard::GuardModel strong = guard::GuardModel::Create(strong_model, engine::ChatFormat::kWarden).ValueOrThrow();
  const auto t1 = std::chrono::steady_clock::now();
  std::vector<double> scores;
  for (size_t at = 0; at < rows.size(); at += 64) {
    std::vector<std::string> chunk;
    for (size_t i = at; i < std::min(rows.size(), at + 64); ++i) chunk.push_back(rows[i].request);
    for (double s : strong.Score(chunk).ValueOrThrow()) scores.push_back(s);
  }
  const double strong_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  std::vector<guard::CascadeRow> cascade_rows;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto it = risk.find("cascade/" + rows[i].id);
    if (it == risk.end()) throw Error(Status::Internal("cascade-eval: no decision record for " + rows[i].id));
    cascade_rows.push_back({it->second, scores[i], rows[i].harmful, rows[i].calibration, rows[i].group});
  }
  guard::CascadeOptions o;
  o.target_escalation = a.escalate;
  o.strong_fpr = a.strong_fpr;
  const guard::CascadeResult r = guard::EvaluateCascade(cascade_rows, o).ValueOrThrow();
  const double n = static_cast<double>(rows.size());

  // The calibrated section served: with its fixed thresholds, then holding the target online.
  guard::Safeguards served_sg = sg;
  served_sg.cascade.enabled = true;
  served_sg.cascade.model = a.guard_model;
  served_sg.cascade.tokenizer = a.guard_tokenizer;
  served_sg.cascade.loaded = strong_model;
  served_sg.cascade.escalate_at = r.escalation_threshold;
  served_sg.cascade.threshold = r.strong_threshold;
  const Served fixed = ServeFixed(model, served_sg, rows, cascade_rows, r);
  guard::Safeguards online_sg = served_sg;
  online_sg.cascade.escalate_rate = a.escalate;
  online_sg.cascade.window = a.window;
  const std::map<std::string, Served> online = ServeOnline(model, online_sg, rows);
  const std::string section =
      StrFormat("cascade: {model: %s%s, escalate_at: %.6g, threshold: %.6g}", a.guard_model.c_str(),
                a.guard_tokenizer.empty() ? "" : (", tokenizer: " + a.guard_tokenizer).c_str(), r.escalation_threshold,
                r.strong_threshold);
  Json out = {{"model", a.model.model},
              {"traffic", a.traffic},
              {"left_out_trained_on", left_out},
              {"guard_model", a.guard_model},
              {"target_escalation", a.escalate},
              {"escalation_threshold", r.escalation_threshold},
              {"strong_threshold", r.strong_threshold},
              {"calibration_escalation", r.calibration_escalation},
              {"cheap_ms_per_request", 1000 * cheap_seconds / n},
              {"guard_model_ms_per_request", 1000 * strong_seconds / n},
              {"safeguards_section", section},
              {"served", {{"rows", fixed.rows},
                          {"agree_with_offline", fixed.agree},
                          {"escalated", fixed.escalated},
                          {"recall", Share(fixed.blocked_harmful, fixed.harmful)},
                          {"recall_ci95", {WilsonInterval(fixed.blocked_harmful, fixed.harmful).low, WilsonInterval(fixed.blocked_harmful, fixed.harmful).high}},
                          {"fpr", Share(fixed.blocked_benign, fixed.benign)},
                          {"fpr_ci95", {WilsonInterval(fixed.blocked_benign, fixed.benign).low, WilsonInterval(fixed.blocked_benign, fixed.benign).high}}}}};
  for (const guard::CascadeGroup& gr : r.groups) {
    out["groups"][gr.group] = {{"rows", gr.rows},         {"escalated", gr.escalated},
                               {"eligible", gr.eligible}, {"escalation", gr.escalation},
                               {"cheap", RatesJson(gr.cheap)}, {"cascade", RatesJson(gr.cascade)},
                               {"strong", RatesJson(gr.strong)}, {"both", RatesJson(gr.both)}};
  }
  for (const auto& [group, o] : online) {
    out["online"][group] = {{"window", a.window},
                            {"eligible", o.eligible},
                            {"escalated", o.escalated},
                            {"escalation", Share(o.escalated, o.eligible)},
                            {"recall", Share(o.blocked_harmful, o.harmful)},
                            {"recall_ci95", {WilsonInterval(o.blocked_harmful, o.harmful).low, WilsonInterval(o.blocked_harmful, o.harmful).high}},
                            {"fpr", Share(o.blocked_benign, o.benign)}};
  }
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (a.traffic == "zoo") {
    std::cout << StrFormat("zoo traffic: %zu rows replayed, %zu left out (their source rows trained the guard model)\n",
                           rows.size(), left_out);
  }
  std::cout << StrFormat("cascade-eval: %zu rows; escalation threshold %.3f (cheap risk; %.3f of calibration rows escalated, "
                         "target %.3f), guard model threshold %.3f (%.3f FPR on calibration benign rows)\n",
                         rows.size(), r.escalation_threshold, r.calibration_escalation, a.escalate, r.strong_threshold,
                         a.strong_fpr);
  std::cout << StrFormat("cost: cheap stage %.1f ms per request (in a batch), guard model %.1f ms per request scored\n",
                         1000 * cheap_seconds / n, 1000 * strong_seconds / n);
  auto line = [](const char* name, const guard::Rates& x) {
    return StrFormat("    %-22s recall %.3f [%.3f, %.3f] (%zu/%zu), false positives %.3f [%.3f, %.3f] (%zu/%zu)\n", name,
                     x.harmful ? static_cast<double>(x.blocked_harmful) / static_cast<double>(x.harmful) : 0.0, x.recall.low,
                     x.recall.high, x.blocked_harmful, x.harmful,
                     x.benign ? static_cast<double>(x.blocked_benign) / static_cast<double>(x.benign) : 0.0, x.fpr.low,
                     x.fpr.high, x.blocked_benign, x.benign);
  };
  std::cout << StrFormat("served (the section below in the request path, measured rows replayed): %zu rows, %zu escalated, "
                         "recall %.3f (%zu/%zu), false positives %.3f (%zu/%zu); the same decision as offline on %zu of %zu\n",
                         fixed.rows, fixed.escalated, Share(fixed.blocked_harmful, fixed.harmful), fixed.blocked_harmful,
                         fixed.harmful, Share(fixed.blocked_benign, fixed.benign), fixed.blocked_benign, fixed.benign, fixed.agree,
                         fixed.rows);
  std::cout << "safeguards section: " << section << "\n";
  for (const auto& [group, o] : online) {
    std::cout << StrFormat("served online (escalate_rate %.2f, window %lld, shuffled): %s: %zu of %zu escalated (%.3f), "
                           "recall %.3f (%zu/%zu), false positives %.3f (%zu/%zu)\n",
                           a.escalate, static_cast<long long>(a.window), group.c_str(), o.escalated, o.eligible,
                           Share(o.escalated, o.eligible), Share(o.blocked_harmful, o.harmful), o.blocked_harmful, o.harmful,
                           Share(o.blocked_benign, o.benign), o.blocked_benign, o.benign);
  }
  for (const guard::CascadeGroup& gr : r.groups) {
    std::cout << StrFormat("  %s: %zu rows, %zu of %zu escalated (%.3f)\n", gr.group.c_str(), gr.rows, gr.escalated,
                           gr.eligible, gr.escalation);
    std::cout << line("cheap only", gr.cheap) << line("cascade", gr.cascade) << line("guard model everywhere", gr.strong)
              << line("both everywhere", gr.both);
  }
}

}  // namespace

void RegisterServeCascade(CLI::App& serve) {
  auto a = std::make_shared<CascadeArgs>();
  CLI::App* cmd = serve.add_subcommand("cascade-eval", "Measure the cascade: cheap safeguards everywhere, the guard model above a threshold");
  cmd->add_option("MODEL", a->model.model, "Model to serve (default: the zoo's honest organism)");
  cmd->add_option("--safeguards", a->safeguards, "Safeguards YAML (with MODEL; default: the monitors assess trained)");
  cmd->add_option("--guard-model", a->guard_model, "The fine-tuned guard model (guard-model data, then warden train)")->required();
  cmd->add_option("--guard-tokenizer", a->guard_tokenizer, "The guard model's tokenizer, when its directory has none");
  cmd->add_option("--data", a->data, "Directory written by `serve guard-model data` (default guard-model)");
  cmd->add_option("--traffic", a->traffic,
                  "zoo: the zoo's request files (held-out calibrates; leave-source-out and leave-form-out measured), "
                  "rows the guard model trained on left out; guard-model: its own held-out rows (default zoo)")
      ->check(CLI::IsMember({"zoo", "guard-model"}));
  cmd->add_option("--escalate", a->escalate, "Share of requests not blocked by a cheap safeguard sent to the guard model (default 0.2)")
      ->check(CLI::Range(0.001, 1.0));
  cmd->add_option("--window", a->window, "Recent requests the online escalation threshold is a quantile of (default 200)")
      ->check(CLI::Range(50, 1000000));
  cmd->add_option("--strong-fpr", a->strong_fpr, "False-positive rate the guard model's threshold is set to (default 0.01)")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--zoo", a->zoo, "Zoo directory for the default (default zoo)");
  cmd->add_option("--assessment", a->assessment, "Assessment directory for the default (default assessment)");
  cmd->add_option("--threads", a->model.threads, "CPU threads");
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([a] { RunCascade(*a); });
}

}  // namespace warden::cli
