// warden policy check|explain|show: a responsible scaling policy applied to evidence
// (docs/policy.md).
//   check    the decision record; the exit status is the decision (0 continue,
//            3 continue-with-safeguards, 4 do-not-deploy, 5 pause-training; 1 error, 2 usage)
//   explain  the same, and which evidence, changed how, would change the decision
//   show     prints the built-in default policy (or validates --policy and prints its summary)
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "warden/base/clock.h"
#include "warden/base/file.h"
#include "warden/base/sha256.h"
#include "warden/policy/decision.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;
using namespace warden::policy;

struct PolicyArgs {
  std::string policy, evidence, now, out;
  bool json = false, no_verify = false;
};

Policy LoadPolicyOrDefault(const std::string& path) {
  if (path.empty()) return ParsePolicy(DefaultPolicyYaml(), "(built-in default policy)").ValueOrThrow();
  return LoadPolicy(path).ValueOrThrow();
}

CheckOptions OptionsFor(const PolicyArgs& a, const Policy& p) {
  CheckOptions o;
  o.now_unix = a.now.empty() ? UnixNow() : ParseUtcIso(a.now, "--now").ValueOrThrow();
  o.max_age_days = p.freshness.max_age_days;
  o.same_model = p.freshness.same_model;
  o.verify_sources = !a.no_verify;
  return o;
}

void PrintRecord(const DecisionRecord& rec) {
  std::cout << "decision: " << DecisionName(rec.decision) << "  (required level " << rec.required_level
            << ", for training " << rec.required_training_level << "; policy " << rec.policy_name << " v"
            << rec.policy_version << ", subject " << rec.subject_name << ")\n";
  for (const Reason& r : rec.reasons) std::cout << "  [" << r.kind << " " << r.status << "] " << r.text << "\n";
  for (const EvidenceProblem& p : rec.problems) {
    std::cout << "  problem: " << p.key << " " << ProblemKindName(p.kind) << ": " << p.detail << "\n";
  }
}

void Run(const PolicyArgs& a, bool explain) {
  const Policy p = LoadPolicyOrDefault(a.policy);
  const EvidenceBundle ev = LoadEvidence(a.evidence).ValueOrThrow();
  const std::string sha = Sha256File(a.evidence).ValueOrThrow();
  const CheckOptions opt = OptionsFor(a, p);
  const DecisionRecord rec = Decide(p, ev, opt, sha);
  Json j = DecisionToJson(rec);
  std::vector<Counterfactual> cf;
  if (explain) {
    cf = Explain(p, ev, opt);
    j["would_change"] = Json::array();
    for (const Counterfactual& c : cf) {
      j["would_change"].push_back({{"key", c.key}, {"change", c.change}, {"decision", DecisionName(c.would_be)}});
    }
  }
  if (!a.out.empty()) WriteFileAtomic(a.out, j.dump(2) + "\n").ThrowIfError();
  if (a.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    PrintRecord(rec);
    if (explain) {
      std::cout << (cf.empty() ? "no single change of one evidence value would change the decision\n"
                               : "would change the decision:\n");
      for (const Counterfactual& c : cf) std::cout << "  " << c.change << "  =>  " << DecisionName(c.would_be) << "\n";
    }
  }
  if (const int code = DecisionExitCode(rec.decision); code != 0) throw ExitWith{code};
}

void AddCommon(CLI::App* cmd, PolicyArgs* a) {
  cmd->add_option("--policy", a->policy, "policy YAML (default: the built-in policy)");
  cmd->add_option("--evidence", a->evidence, "evidence JSON (warden-evidence/1)")->required();
  cmd->add_option("--now", a->now, "judge freshness as of this UTC time (default: now)");
  cmd->add_option("--out", a->out, "also write the decision record (JSON) here");
  cmd->add_flag("--json", a->json, "print the decision record as JSON");
  cmd->add_flag("--no-verify-sources", a->no_verify, "do not re-hash the evidence's source files");
}

}  // namespace

void RegisterPolicy(CLI::App& app) {
  CLI::App* policy = app.add_subcommand("policy", "apply a responsible scaling policy to evidence");
  policy->require_subcommand(1);
  auto a = std::make_shared<PolicyArgs>();

  CLI::App* check = policy->add_subcommand("check", "decide: exit 0 continue, 3 with safeguards, 4 do not deploy, 5 pause");
  AddCommon(check, a.get());
  check->callback([a] { Run(*a, false); });

  CLI::App* explain = policy->add_subcommand("explain", "decide, and list the evidence changes that would change it");
  AddCommon(explain, a.get());
  explain->callback([a] { Run(*a, true); });

  CLI::App* show = policy->add_subcommand("show", "print the built-in policy, or validate --policy and summarise it");
  show->add_option("--policy", a->policy, "policy YAML to validate");
  show->callback([a] {
    if (a->policy.empty()) {
      std::cout << DefaultPolicyYaml();
      return;
    }
    const Policy p = LoadPolicy(a->policy).ValueOrThrow();
    std::cout << p.name << " v" << p.version << " (sha256 " << p.sha256.substr(0, 12) << "...): base level "
              << p.base_level << ", " << p.domains.size() << " domain(s), " << p.levels.size() << " level(s)\n";
    for (const Domain& d : p.domains) {
      std::cout << "  domain " << d.id << ": " << d.capability << " threshold " << d.threshold << " (early warning "
                << d.early_warning << ") -> level " << d.level << "\n";
    }
    for (const Level& l : p.levels) {
      for (const Requirement& r : l.requires) {
        std::cout << "  level " << l.id << " " << StageName(r.stage) << ": " << r.id << ": " << r.evidence << " "
                  << r.condition.ToString() << "\n";
      }
    }
  });
}

}  // namespace warden::cli
