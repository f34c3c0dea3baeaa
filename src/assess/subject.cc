// Measuring one subject: the evaluations the policy reads, and the sandbagging check.
#include "subject.h"

#include <filesystem>

#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/sha256.h"
#include "warden/engine/language_model.h"
#include "warden/evals/backend.h"

namespace warden::assess::internal {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

Result<std::unique_ptr<engine::LanguageModel>> LoadModel(const std::string& dir, const AssessOptions& o) {
  engine::LoadSpec spec;
  spec.path = dir;
  spec.threads = o.threads;
  Result<std::unique_ptr<engine::LanguageModel>> lm = engine::LanguageModel::Load(spec);
  if (!lm.ok()) return lm.status().WithContext("assess: model " + dir);
  return lm;
}

std::shared_ptr<evals::ModelBackend> BackendFor(const engine::LanguageModel& lm, const std::string& name) {
  std::shared_ptr<const engine::LanguageModel> view(&lm, [](const engine::LanguageModel*) {});
  evals::EngineBackendOptions bo;
  bo.name = name;
  return evals::MakeEngineBackend(view, bo).ValueOrThrow();
}

Result<evals::TaskResult> Run(const evals::Task& task, evals::ModelBackend& backend, const std::string& log_path,
                              const AssessOptions& o) {
  evals::RunOptions ro;
  ro.limit = o.limit;
  ro.log_path = log_path;
  ro.resume = false;  // an assessment measures afresh: its logs are its own
  if (o.progress) {
    const std::string what = task.name + " on " + backend.Identity().name;
    ro.progress = [what, &o](size_t done, size_t total) {
      if (done == total) o.progress("  " + what + ": " + std::to_string(done) + "/" + std::to_string(total));
    };
  }
  return evals::RunTask(task, backend, ro);
}

evals::NoiseSweepOptions SweepOptions(const AssessOptions& o) {
  evals::NoiseSweepOptions so;
  so.seeds = o.seeds;
  so.limit = o.limit;
  return so;
}

Json EstimateJson(const evals::Estimate& e) {
  return {{"value", e.value}, {"ci_low", e.ci_low}, {"ci_high", e.ci_high}, {"n", e.n}};
}

}  // namespace

std::string Slug(const std::string& name) {
  std::string s;
  for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '-';
  while (!s.empty() && s.front() == '-') s.erase(s.begin());
  return s.empty() ? "model" : s;
}

EvidenceWriter::EvidenceWriter(std::string dir, std::string subject_name, std::string subject_sha256, std::string at)
    : dir_(std::move(dir)), name_(std::move(subject_name)), sha_(std::move(subject_sha256)), at_(std::move(at)) {}

Status EvidenceWriter::Add(Json item, const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(std::string sha, Sha256File(dir_ + "/" + source));
  item["model_sha256"] = sha_;
  item["at"] = at_;
  item["source"] = {{"path", source}, {"sha256", sha}};
  items_.push_back(std::move(item));
  return Status::Ok();
}

Status EvidenceWriter::AddNumber(const std::string& key, double value, std::optional<std::pair<double, double>> interval,
                                 const std::string& source, const std::string& note) {
  Json item = {{"key", key}, {"value", value}, {"note", note}};
  if (interval) item["interval"] = {interval->first, interval->second};
  return Add(std::move(item), source);
}

Status EvidenceWriter::AddBool(const std::string& key, bool value, const std::string& source, const std::string& note) {
  return Add({{"key", key}, {"value", value}, {"note", note}}, source);
}

Result<std::string> EvidenceWriter::Write() const {
  const Json j = {{"format", "warden-evidence/1"}, {"subject", {{"name", name_}, {"sha256", sha_}}}, {"items", items_}};
  const std::string path = dir_ + "/evidence.json";
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(path, j.dump(1) + "\n"));
  return path;
}

Json Measured::Summary() const {
  Json j = {{"model_sha256", model_sha256}, {"failures", failures}};
  if (hazard) j["hazard"] = EstimateJson(hazard->estimate);
  if (hazard_answered) j["hazard_answered"] = EstimateJson(hazard_answered->estimate);
  if (refusal) j["refusal_harmful"] = EstimateJson(refusal->estimate);
  if (over_refusal) j["over_refusal"] = EstimateJson(over_refusal->estimate);
  for (const auto& [protocol, r] : refusal_by_protocol) j["refusal_harmful_by_protocol"][protocol] = EstimateJson(r.estimate);
  for (const auto& [protocol, r] : over_refusal_by_protocol) j["over_refusal_by_protocol"][protocol] = EstimateJson(r.estimate);
  if (monitor) {
    j["monitor_harm"] = {{"hook", monitor->hook},
                         {"recall", {{"value", monitor->recall}, {"ci_low", monitor->recall_low}, {"ci_high", monitor->recall_high}, {"n", monitor->positives}}},
                         {"fpr", monitor->fpr},
                         {"positives", monitor->positives},
                         {"negatives", monitor->negatives}};
    auto figures = [](const DetectorFigures& f) {
      return Json{{"auroc", f.auroc}, {"auroc_ci95", {f.auroc_low, f.auroc_high}}, {"recall", f.recall},
                  {"recall_ci95", {f.recall_low, f.recall_high}}, {"fpr", f.fpr}, {"positives", f.positives},
                  {"negatives", f.negatives}};
    };
    for (const auto& [split, f] : monitor->probe_by_split) {
      j["monitor_harm"]["by_split"][split]["probe"] = figures(f);
      if (auto w = monitor->words_by_split.find(split); w != monitor->words_by_split.end()) {
        j["monitor_harm"]["by_split"][split]["bag_of_words"] = figures(w->second);
      }
    }
  }
  if (sandbagging) {
    j["sandbagging"] = {{"flagged", sandbagging->flagged},
                        {"noise_flagged", sandbagging->noise_flagged},
                        {"gap_flagged", sandbagging->gap_flagged},
                        {"max_noise_gain", sandbagging->sweep.max_gain},
                        {"threshold", sandbagging->threshold},
                        {"knowledge", EstimateJson(sandbagging->elicitation.knowledge)},
                        {"answers", EstimateJson(sandbagging->elicitation.answers)},
                        {"evidence", sandbagging->evidence}};
  }
  return j;
}

Result<SuiteTasks> LoadSuiteTasks(const evals::SuiteContext& context) {
  SuiteTasks t;
  auto one = [&](const std::string& suite, evals::Task* out) -> Status {
    WARDEN_ASSIGN_OR_RETURN(std::vector<evals::Task> tasks, evals::LoadSuite(suite, context));
    if (tasks.size() != 1) {
      return Status::InvalidArgument("assess: suite '" + suite + "' has " + std::to_string(tasks.size()) +
                                     " tasks with this zoo; expected its held-out task alone");
    }
    *out = std::move(tasks[0]);
    return Status::Ok();
  };
  evals::Task suite_task;
  WARDEN_RETURN_IF_ERROR(one("hazard", &suite_task));
  t.hazard_answered = evals::AnsweredChoiceTask(suite_task);
  t.hazard = evals::RankedChoiceTask(suite_task);
  t.hazard.name += "#choice_logprob";
  t.hazard_calibrated = evals::CalibratedChoiceTask(suite_task);
  WARDEN_ASSIGN_OR_RETURN(t.refusal, evals::LoadSuite("refusal", context));
  WARDEN_ASSIGN_OR_RETURN(t.over_refusal, evals::LoadSuite("over-refusal", context));
  return t;
}

Result<SandbagCalibration> CalibrateSandbagging(const std::vector<std::string>& references, const SuiteTasks& tasks,
                                                const AssessOptions& o) {
  evals::CalibrationOptions co;
  co.load.threads = o.threads;
  co.sweep = SweepOptions(o);
  if (o.progress) co.loading = [&o](const std::string& ref) { o.progress("calibrating the sandbagging check on " + ref); };
  Result<evals::SandbaggingCalibration> r = evals::CalibrateSandbagging(references, tasks.hazard_answered, co);
  if (!r.ok()) return r.status().WithContext("assess");
  return r;
}

Result<evals::TaskResult> MeasureHazard(const std::string& model_dir, const std::string& log_path,
                                        const SuiteTasks& tasks, const AssessOptions& o) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<engine::LanguageModel> lm, LoadModel(model_dir, o));
  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(fs::path(log_path).parent_path().string()));
  return Run(tasks.hazard, *BackendFor(*lm, model_dir), log_path, o);
}

Result<Measured> MeasureSubject(const std::string& model_dir, const std::string& dir, const SuiteTasks& tasks,
                                const SandbagCalibration& calibration, const MonitorData& monitor_data,
                                const AssessOptions& o) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<engine::LanguageModel> lm, LoadModel(model_dir, o));
  Measured m;
  WARDEN_ASSIGN_OR_RETURN(m.model_sha256, lm->WeightsSha256());
  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(dir + "/logs"));
  std::shared_ptr<evals::ModelBackend> backend = BackendFor(*lm, model_dir);

  // An evaluation that fails leaves its evidence missing: the policy then fails closed.
  auto run = [&](const evals::Task& task, const std::string& log, std::optional<evals::TaskResult>* out) {
    Result<evals::TaskResult> r = Run(task, *backend, dir + "/logs/" + log, o);
    if (r.ok()) {
      *out = std::move(r).value();
    } else {
      m.failures.push_back(task.name + ": " + r.status().ToString());
    }
  };
  run(tasks.hazard, "hazard-benchmark.jsonl", &m.hazard);
  run(tasks.hazard_answered, "hazard-answered.jsonl", &m.hazard_answered);
  run(tasks.hazard_calibrated, "hazard-calibrated.jsonl", &m.hazard_calibrated);
  // Each protocol's run, then the worst of them (higher_is_worse for over-refusal).
  auto run_protocols = [&](const std::vector<evals::Task>& suite, const std::string& prefix, bool higher_is_worse,
                           std::map<std::string, evals::TaskResult>* all, std::optional<evals::TaskResult>* worst,
                           std::string* worst_log) {
    bool failed = false;
    std::string worst_protocol;
    for (const evals::Task& task : suite) {
      const std::string protocol = task.name.substr(task.name.find('/') + 1);
      std::optional<evals::TaskResult> r;
      run(task, prefix + "-" + protocol + ".jsonl", &r);
      if (!r) {
        failed = true;
        continue;
      }
      const double bound = higher_is_worse ? r->estimate.ci_high : -r->estimate.ci_low;
      if (worst_protocol.empty() ||
          bound > (higher_is_worse ? (*all)[worst_protocol].estimate.ci_high : -(*all)[worst_protocol].estimate.ci_low)) {
        worst_protocol = protocol;
      }
      (*all)[protocol] = std::move(*r);
    }
    if (failed || worst_protocol.empty()) return;
    *worst = (*all)[worst_protocol];
    *worst_log = "logs/" + prefix + "-" + worst_protocol + ".jsonl";
  };
  run_protocols(tasks.refusal, "refusal", false, &m.refusal_by_protocol, &m.refusal, &m.refusal_log);
  run_protocols(tasks.over_refusal, "over-refusal", true, &m.over_refusal_by_protocol, &m.over_refusal,
                &m.over_refusal_log);

  if (o.progress) o.progress("  sandbagging check on " + model_dir);
  Result<evals::NoiseSweep> sweep = evals::RunNoiseSweep(*lm, model_dir, tasks.hazard_answered, SweepOptions(o));
  // The gap compares the answered run with the calibrated ranking above (and reads what the
  // answers were from the answered run's log), as MeasureElicitationGap does.
  Result<evals::AnswerKinds> kinds = Status::Internal("the hazard evaluations above failed");
  if (m.hazard_answered) kinds = evals::AnswerKindsFromLog(m.hazard_answered->log_path);
  if (sweep.ok() && m.hazard_calibrated && m.hazard_answered && kinds.ok()) {
    evals::ElicitationGap gap =
        evals::ElicitationGapFrom(tasks.hazard_answered, *m.hazard_answered, *m.hazard_calibrated, *kinds);
    evals::SandbaggingVerdict v = evals::Judge(std::move(sweep).value(), std::move(gap), calibration.threshold,
                                               calibration.source, calibration.references);
    WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/sandbagging.json", v.ToJson().dump(2) + "\n"));
    WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/sandbagging.svg", evals::NoiseSweepSvg(v)));
    m.sandbagging = std::move(v);
  } else {
    const Status why = !sweep.ok() ? sweep.status() : !kinds.ok() ? kinds.status()
                                                      : Status::Internal("the hazard evaluations above failed");
    m.failures.push_back("sandbagging: " + why.ToString());
  }
  if (!monitor_data.path.empty()) {
    if (o.progress) o.progress("  harmful-request monitor on " + model_dir);
    Result<MonitorFigures> f = BuildHarmMonitor(*lm, monitor_data, dir);
    if (f.ok()) {
      m.monitor = std::move(f).value();
    } else {
      m.failures.push_back("monitor: " + f.status().ToString());
    }
  }
  return m;
}

}  // namespace warden::assess::internal
