// The decision rules of decision.h, applied in order; every step leaves a Reason.
#include "warden/policy/decision.h"

#include <algorithm>
#include <cstdio>

#include "decide_internal.h"
#include "warden/base/clock.h"
#include "warden/base/format.h"

namespace warden::policy {
namespace {

using Json = nlohmann::json;

Json ItemJson(const EvidenceItem& it) {
  Json j = {{"value", it.is_bool ? Json(it.boolean) : Json(it.number)},
            {"at", it.at},
            {"source", {{"path", it.source_path}, {"sha256", it.source_sha256}}}};
  if (it.interval) j["interval"] = {it.interval->first, it.interval->second};
  return j;
}

class Decider {
 public:
  Decider(const Policy& p, const CheckedEvidence& e, DecisionRecord* rec) : p_(p), e_(e), rec_(rec) {}

  void Run() {
    int required = p_.base_level, training = p_.base_level;
    bool warned = false;
    for (const Domain& d : p_.domains) {
      DomainResult dr = JudgeDomain(d);
      if (dr.crossed) required = std::max(required, d.level);
      if (dr.early_warning) {
        training = std::max(training, d.level);
        warned = true;
      }
      rec_->domains.push_back(dr);
    }
    training = std::max(training, required);
    rec_->required_level = required;
    rec_->required_training_level = training;

    bool training_unmet = false, deployment_unmet = false;
    for (const Level& level : p_.levels) {
      for (const Requirement& r : level.requires) {
        const bool applies = r.stage == Stage::kTraining ? level.id <= training : level.id <= required;
        if (!applies) continue;
        if (!JudgeRequirement(level, r)) (r.stage == Stage::kTraining ? training_unmet : deployment_unmet) = true;
      }
    }
    if (failed_closed_ || training_unmet) {
      rec_->decision = Decision::kPauseTraining;
    } else if (deployment_unmet) {
      rec_->decision = Decision::kDoNotDeploy;
    } else if (required > p_.base_level || warned) {
      rec_->decision = Decision::kContinueWithSafeguards;
    } else {
      rec_->decision = Decision::kContinue;
    }
  }

 private:
  // The usable item for `key`, or nullptr after recording why there is none (fail closed).
  const EvidenceItem* Need(const std::string& key, const std::string& subject, bool want_bool, bool fail_closed) {
    auto problem = e_.problems.find(key);
    EvidenceProblem p;
    if (problem != e_.problems.end()) {
      p = problem->second;
    } else if (auto it = e_.usable.find(key); it == e_.usable.end()) {
      p = {EvidenceProblem::Kind::kMissing, key, "no evidence item has this key"};
    } else if (it->second.is_bool != want_bool) {
      p = {EvidenceProblem::Kind::kWrongType, key,
           std::string("items[") + std::to_string(it->second.index) + "] is a " + (it->second.is_bool ? "boolean" : "number") +
               ", the policy compares a " + (want_bool ? "boolean" : "number")};
    } else {
      return &it->second;
    }
    // A requirement without evidence is simply unmet (its own reason says so); everything else
    // is a problem that fails the decision closed.
    if (!fail_closed && p.kind == EvidenceProblem::Kind::kMissing) return nullptr;
    failed_closed_ = true;
    if (std::none_of(rec_->problems.begin(), rec_->problems.end(),
                     [&](const EvidenceProblem& q) { return q.key == key; })) {
      rec_->problems.push_back(p);
    }
    Reason r{"evidence", subject, ProblemKindName(p.kind),
             key + " is " + ProblemKindName(p.kind) + ": " + p.detail, {key}};
    rec_->reasons.push_back(std::move(r));
    return nullptr;
  }

  DomainResult JudgeDomain(const Domain& d) {
    DomainResult dr;
    dr.id = d.id;
    for (const std::string& key : d.integrity) {
      const EvidenceItem* it = Need(key, d.id, /*want_bool=*/true, /*fail_closed=*/true);
      if (!it) {
        dr.failed_closed = true;
        continue;
      }
      Reason r{"integrity", d.id, it->boolean ? "passed" : "failed", "", {key}};
      r.values[key] = ItemJson(*it);
      if (it->boolean) {
        r.text = key + " is true: the " + d.id + " evaluation can be taken at its word";
      } else {
        dr.crossed = true;
        r.text = key + " is false: the " + d.id + " evaluation cannot show the model is below the threshold, so the domain counts as crossed";
      }
      rec_->reasons.push_back(std::move(r));
    }
    if (const EvidenceItem* it = Need(d.capability, d.id, false, true)) {
      const double upper = it->interval ? it->interval->second : it->number;
      Reason r{"threshold", d.id, "", "", {d.capability}};
      r.values[d.capability] = ItemJson(*it);
      const std::string reading = d.capability + " " + it->ValueText() + (it->interval ? " (upper end " + Sig(upper) + ")" : "");
      if (upper >= d.threshold) {
        dr.crossed = true;
        r.status = "crossed";
        r.text = reading + " is at or above the capability threshold " + Sig(d.threshold) + ": level " +
                 std::to_string(d.level) + " required";
      } else if (upper >= d.early_warning) {
        dr.early_warning = true;
        r.status = "warning";
        r.text = reading + " is at or above the early-warning threshold " + Sig(d.early_warning) +
                 " (capability threshold " + Sig(d.threshold) + "): level " + std::to_string(d.level) +
                 " safeguards required before training further";
      } else {
        r.status = "below";
        r.text = reading + " is below the early-warning threshold " + Sig(d.early_warning);
      }
      rec_->reasons.push_back(std::move(r));
    } else {
      dr.failed_closed = true;
    }
    const bool forecast_absent = !e_.usable.count(d.forecast) && !e_.problems.count(d.forecast);
    if (!d.forecast.empty() && !d.forecast_required && forecast_absent) {
      rec_->reasons.push_back({"early-warning", d.id, "no-forecast",
                               "no forecast for " + d.id + " (no series of checkpoints); the policy does not require one",
                               {d.forecast}});
    } else if (!d.forecast.empty()) {
      if (const EvidenceItem* it = Need(d.forecast, d.id, false, true)) {
        Reason r{"early-warning", d.id, "", "", {d.forecast}};
        r.values[d.forecast] = ItemJson(*it);
        if (it->number > d.forecast_max) {
          dr.early_warning = true;
          r.status = "warning";
          r.text = "forecast: P(crossing " + Sig(d.threshold) + " within the buffer) = " + Sig(it->number) + " > " +
                   Sig(d.forecast_max) + ": level " + std::to_string(d.level) + " safeguards required before training further";
        } else {
          r.status = "below";
          r.text = "forecast: P(crossing " + Sig(d.threshold) + " within the buffer) = " + Sig(it->number) +
                   " <= " + Sig(d.forecast_max);
        }
        rec_->reasons.push_back(std::move(r));
      } else {
        dr.failed_closed = true;
      }
    }
    if (dr.failed_closed) dr.crossed = true;  // what cannot be shown below the threshold counts as crossed
    return dr;
  }

  bool JudgeRequirement(const Level& level, const Requirement& req) {
    const bool want_bool = req.condition.op == Condition::Op::kEquals;
    const EvidenceItem* it = Need(req.evidence, req.id, want_bool, /*fail_closed=*/false);
    Reason r{"requirement", req.id, "", "", {req.evidence}};
    const std::string what = (req.text.empty() ? req.id : req.text) + " (level " + std::to_string(level.id) + ", " +
                             StageName(req.stage) + ")";
    if (!it) {
      r.status = "unmet";
      r.text = what + ": unmet, no usable evidence for " + req.evidence;
      rec_->reasons.push_back(std::move(r));
      return false;
    }
    r.values[req.evidence] = ItemJson(*it);
    const bool met = internal::Meets(req.condition, *it);
    r.status = met ? "met" : "unmet";
    r.text = what + ": " + req.evidence + " " + it->ValueText() + (met ? " meets " : " fails ") + req.condition.ToString();
    rec_->reasons.push_back(std::move(r));
    return met;
  }

  const Policy& p_;
  const CheckedEvidence& e_;
  DecisionRecord* rec_;
  bool failed_closed_ = false;
};

}  // namespace

namespace internal {

bool Meets(const Condition& c, const EvidenceItem& it) {
  switch (c.op) {
    // A bound on a measured rate is judged on the conservative end of its interval.
    case Condition::Op::kAtLeast: return (it.interval ? it.interval->first : it.number) >= c.number;
    case Condition::Op::kAtMost: return (it.interval ? it.interval->second : it.number) <= c.number;
    case Condition::Op::kEquals: return it.is_bool && it.boolean == c.boolean;
  }
  return false;
}

DecisionRecord DecideChecked(const Policy& policy, const EvidenceBundle& evidence, const CheckedEvidence& checked,
                             const CheckOptions& options, const std::string& evidence_sha256) {
  DecisionRecord rec;
  rec.policy_name = policy.name;
  rec.policy_version = policy.version;
  rec.policy_sha256 = policy.sha256;
  rec.subject_name = evidence.subject_name;
  rec.subject_sha256 = evidence.subject_sha256;
  rec.evidence_path = evidence.path;
  rec.evidence_sha256 = evidence_sha256;
  rec.now = UtcIso(options.now_unix);
  Decider(policy, checked, &rec).Run();
  return rec;
}

}  // namespace internal

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kContinue: return "continue";
    case Decision::kContinueWithSafeguards: return "continue-with-safeguards";
    case Decision::kDoNotDeploy: return "do-not-deploy";
    case Decision::kPauseTraining: return "pause-training";
  }
  return "?";
}

int DecisionExitCode(Decision d) {
  switch (d) {
    case Decision::kContinue: return 0;
    case Decision::kContinueWithSafeguards: return 3;
    case Decision::kDoNotDeploy: return 4;
    case Decision::kPauseTraining: return 5;
  }
  return 1;
}

DecisionRecord Decide(const Policy& policy, const EvidenceBundle& evidence, const CheckOptions& options,
                      const std::string& evidence_sha256) {
  return internal::DecideChecked(policy, evidence, CheckEvidence(evidence, options), options, evidence_sha256);
}

Json DecisionToJson(const DecisionRecord& rec) {
  Json j;
  j["format"] = "warden-decision/1";
  j["decision"] = DecisionName(rec.decision);
  j["exit_code"] = DecisionExitCode(rec.decision);
  j["required_level"] = rec.required_level;
  j["required_training_level"] = rec.required_training_level;
  j["policy"] = {{"name", rec.policy_name}, {"version", rec.policy_version}, {"sha256", rec.policy_sha256}};
  j["subject"] = {{"name", rec.subject_name}, {"sha256", rec.subject_sha256}};
  j["evidence"] = {{"path", rec.evidence_path}, {"sha256", rec.evidence_sha256}};
  j["decided_at"] = rec.now;
  j["domains"] = Json::array();
  for (const DomainResult& d : rec.domains) {
    j["domains"].push_back({{"id", d.id}, {"crossed", d.crossed}, {"early_warning", d.early_warning},
                            {"failed_closed", d.failed_closed}});
  }
  j["reasons"] = Json::array();
  for (const Reason& r : rec.reasons) {
    j["reasons"].push_back({{"kind", r.kind}, {"subject", r.subject}, {"status", r.status}, {"text", r.text},
                            {"evidence", r.evidence}, {"values", r.values}});
  }
  j["problems"] = Json::array();
  for (const EvidenceProblem& p : rec.problems) {
    j["problems"].push_back({{"kind", ProblemKindName(p.kind)}, {"key", p.key}, {"detail", p.detail}});
  }
  return j;
}

}  // namespace warden::policy
