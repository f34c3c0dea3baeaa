// RunTask: samples -> conversations -> backend -> scorer -> log records and an estimate, in
// steps: resume (ResumeLog) or header (HeaderRecord), solving (SolveByLogprob,
// SolveByGeneration), scoring and logging (ScoreAndLog), and the estimate and footer (Finish).
#include <algorithm>
#include <set>

#include "warden/base/clock.h"
#include "warden/base/env.h"
#include "warden/evals/eval_log.h"
#include "warden/evals/task.h"

#ifndef WARDEN_GIT_REVISION
#define WARDEN_GIT_REVISION "unknown"
#endif
#ifndef WARDEN_VERSION
#define WARDEN_VERSION "0"
#endif

namespace warden::evals {
namespace {

using Json = nlohmann::json;

Json EstimateJson(const Estimate& e) {
  return {{"value", e.value}, {"stderr", e.std_error}, {"ci_low", e.ci_low}, {"ci_high", e.ci_high},
          {"n", e.n},         {"clusters", e.clusters}, {"confidence", e.confidence}};
}

Json Messages(const Conversation& c) {
  Json out = Json::array();
  for (const engine::ChatMessage& m : c) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

// What must be equal for a log to be resumed.
Json Identity(const Task& t, const ModelIdentity& m, const RunOptions& o) {
  return {{"task", t.name},
          {"task_version", t.version},
          {"model_sha256", m.sha256},
          {"model_name", m.sha256.empty() ? m.name : ""},
          {"dataset_sha256", t.dataset.sha256},
          {"scorer", {{"name", t.scorer->name()}, {"version", t.scorer->version()}}},
          {"solver", t.solver.ToJson()},
          {"limit", o.limit},
          {"epochs", o.epochs},
          {"seed", o.seed}};
}

}  // namespace

Result<SolverKind> SolverKindFromName(const std::string& name) {
  if (name == "generate") return SolverKind::kGenerate;
  if (name == "choice_logprob") return SolverKind::kChoiceLogprob;
  if (name == "choice_generate") return SolverKind::kChoiceGenerate;
  return Status::InvalidArgument("unknown solver '" + name + "' (generate, choice_logprob, choice_generate)");
}

const char* SolverKindName(SolverKind k) {
  switch (k) {
    case SolverKind::kGenerate: return "generate";
    case SolverKind::kChoiceLogprob: return "choice_logprob";
    case SolverKind::kChoiceGenerate: return "choice_generate";
  }
  return "?";
}

Json Solver::ToJson() const {
  Json shots = Json::array();
  for (const Sample& s : few_shot) shots.push_back({{"input", s.input}, {"target", s.target}});
  Json j = {{"kind", SolverKindName(kind)}, {"system", system},         {"few_shot", shots},
            {"list_choices", list_choices}, {"numbered_labels", numbered_labels},
            {"reply_with_text", reply_with_text}, {"max_tokens", max_tokens}, {"temperature", temperature}};
  if (calibrate) j["calibrate"] = true;  // only when set, so that earlier logs keep their identity
  return j;
}

std::string SolverLabel(const Solver& solver, size_t index) {
  return solver.numbered_labels ? std::to_string(index + 1) : ChoiceLabel(index);
}

Conversation BuildConversation(const Solver& solver, const Sample& sample) {
  Conversation c;
  if (!solver.system.empty()) c.push_back({"system", solver.system});
  auto user_turn = [&solver](const Sample& s) {
    if (solver.kind == SolverKind::kGenerate || !solver.list_choices || s.choices.empty()) return s.input;
    std::string text = s.input;
    for (size_t i = 0; i < s.choices.size(); ++i) text += "\n" + SolverLabel(solver, i) + ". " + s.choices[i];
    return text + (solver.numbered_labels ? "\nAnswer with the number of the correct choice."
                                          : "\nAnswer with the letter of the correct choice.");
  };
  for (const Sample& shot : solver.few_shot) {
    c.push_back({"user", user_turn(shot)});
    c.push_back({"assistant", shot.target});
  }
  c.push_back({"user", user_turn(sample)});
  return c;
}

Json TaskResult::ToJson() const {
  Json cats = Json::object();
  for (const auto& [k, e] : by_category) cats[k] = EstimateJson(e);
  return {{"suite", task},
          {"task", task},
          {"model", model.name},
          {"model_sha256", model.sha256},
          {"dataset", dataset_path},
          {"dataset_sha256", dataset_sha256},
          {"n", estimate.n},
          {"attempted", attempted},
          {"errors", errors},
          {"skipped_rows", skipped_rows},
          {"resumed", resumed},
          {"metrics", {{metric, EstimateJson(estimate)}}},
          {"by_category", cats},
          {"log", log_path},
          {"seconds", seconds}};
}

namespace {

// What a run builds up as it goes: the result, the scores behind its estimate, the sample-epochs
// already in the log, and the log being written (none without a log path).
struct RunState {
  TaskResult result;
  std::vector<ScoredSample> scored;
  std::set<std::string> done;  // SampleKey of every sample-epoch in the log
  std::unique_ptr<EvalLogWriter> log;
};

// What one batch of samples got from the backend.
struct Solved {
  std::vector<Completion> outs;                  // one per sample; `error` set when it failed
  std::vector<std::vector<double>> choice_lp;    // choice_logprob: per sample, per choice
};

TaskResult NewResult(const Task& task, const ModelBackend& backend, const RunOptions& o) {
  TaskResult r;
  r.task = task.name;
  r.metric = task.metric;
  r.model = backend.Identity();
  r.dataset_path = task.dataset.path;
  r.dataset_sha256 = task.dataset.sha256;
  r.skipped_rows = task.dataset.skipped.size();
  r.log_path = o.log_path;
  return r;
}

std::vector<const Sample*> SelectSamples(const Dataset& dataset, size_t limit) {
  std::vector<const Sample*> samples;
  for (const Sample& s : dataset.samples) {
    if (limit > 0 && samples.size() >= limit) break;
    samples.push_back(&s);
  }
  return samples;
}

// Step 1, resume: when the log describes this same evaluation, its samples count as done (each
// sample-epoch once) and the log is reopened after its last whole record. Returns false when
// there is nothing to resume (no log, another evaluation's, or one that cannot be read), and the
// caller starts afresh.
Result<bool> ResumeLog(const Json& identity, const RunOptions& o, Env* env, RunState* st) {
  if (!o.resume || !env->FileExists(o.log_path)) return false;
  std::vector<Json> previous;
  auto scan = ScanEvalLog(o.log_path, [&](const Json& r) {
    if (r.value("type", "") == "sample") previous.push_back(r);
    return true;
  }, env);
  if (!scan.ok() || !scan->header.contains("identity") || scan->header["identity"] != identity) return false;
  for (const Json& r : previous) {
    const std::string key = SampleKey(r.value("id", ""), r.value("epoch", 0));
    if (!st->done.insert(key).second) continue;
    ++st->result.attempted;
    ++st->result.resumed;
    if (!r.value("error", "").empty()) {
      ++st->result.errors;
      continue;
    }
    st->scored.push_back({r.value("score", 0.0), r.value("cluster", ""), r.value("category", "")});
  }
  // valid_bytes ends before a torn last line (and a footer): Append truncates the file there.
  WARDEN_ASSIGN_OR_RETURN(st->log, EvalLogWriter::Append(o.log_path, scan->valid_bytes, env));
  return true;
}

// Step 2, header: what a fresh log starts with.
Json HeaderRecord(const Task& task, const TaskResult& r, const RunOptions& o, const Json& identity, Env* env) {
  return {{"type", "header"},
          {"format", kEvalLogFormat},
          {"task", task.name},
          {"task_version", task.version},
          {"description", task.description},
          {"metric", task.metric},
          {"model", {{"kind", r.model.kind}, {"name", r.model.name}, {"sha256", r.model.sha256},
                     {"detail", r.model.detail}}},
          {"dataset", {{"path", task.dataset.path}, {"sha256", task.dataset.sha256},
                       {"rows", task.dataset.samples.size()}, {"skipped", task.dataset.skipped.size()}}},
          {"scorer", {{"name", task.scorer->name()}, {"version", task.scorer->version()}}},
          {"solver", task.solver.ToJson()},
          {"config", {{"limit", o.limit}, {"epochs", o.epochs}, {"batch", o.batch}}},
          {"warden", {{"version", WARDEN_VERSION}, {"git", WARDEN_GIT_REVISION}}},
          {"seed", o.seed},
          {"started", UtcIso(env->NowUnixSeconds())},
          {"identity", identity}};
}

// The log: resumed when it describes this same evaluation, else started afresh.
Status OpenLog(const Task& task, const RunOptions& o, Env* env, RunState* st) {
  if (o.log_path.empty()) return Status::Ok();
  const Json identity = Identity(task, st->result.model, o);
  WARDEN_ASSIGN_OR_RETURN(bool resumed, ResumeLog(identity, o, env, st));
  if (resumed) return Status::Ok();
  WARDEN_ASSIGN_OR_RETURN(st->log,
                          EvalLogWriter::Create(o.log_path, HeaderRecord(task, st->result, o, identity, env), env));
  return Status::Ok();
}

// Each request's reply scores. One bad sample (e.g. longer than the model's context) must not
// sink the batch: on a batch error the requests are scored one at a time, and a failure is
// recorded as its sample's error (its scores left empty). A backend that cannot score at all
// (Unsupported) is the task's error.
Result<std::vector<std::vector<double>>> ScoreEach(ModelBackend& backend, const std::vector<ReplyScoreRequest>& reqs,
                                                  std::vector<Completion>* outs) {
  auto batch_lp = backend.ScoreReplies(reqs);
  if (batch_lp.ok()) return std::move(*batch_lp);
  if (batch_lp.status().code() == StatusCode::kUnsupported) return batch_lp.status();
  std::vector<std::vector<double>> lp(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    auto one = backend.ScoreReplies({reqs[i]});
    if (one.ok()) {
      lp[i] = std::move((*one)[0]);
    } else if ((*outs)[i].error.empty()) {
      (*outs)[i].error = one.status().message();
    }
  }
  return lp;
}

// Step 3a, solving multiple choice by log-probabilities: the most likely choice is the answer
// (calibrated: the choice the question makes likelier, Solver::calibrate).
Result<Solved> SolveByLogprob(const Task& task, ModelBackend& backend, const std::vector<const Sample*>& batch,
                              const std::vector<Conversation>& convs) {
  Solved out;
  out.outs.resize(convs.size());
  std::vector<ReplyScoreRequest> reqs;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Sample& s = *batch[i];
    if (s.choices.empty()) return Status::InvalidArgument("sample " + s.id + ": choice_logprob needs choices");
    ReplyScoreRequest r{convs[i], {}};
    for (size_t c = 0; c < s.choices.size(); ++c) {
      r.replies.push_back(task.solver.reply_with_text ? s.choices[c] : SolverLabel(task.solver, c));
    }
    reqs.push_back(std::move(r));
  }
  WARDEN_ASSIGN_OR_RETURN(out.choice_lp, ScoreEach(backend, reqs, &out.outs));
  if (task.solver.calibrate) {
    // The same replies after the input without its last line (the question).
    std::vector<ReplyScoreRequest> premise = reqs;
    for (size_t i = 0; i < batch.size(); ++i) {
      Sample s = *batch[i];
      const size_t nl = s.input.rfind('\n');
      s.input = nl == std::string::npos ? "" : s.input.substr(0, nl);
      premise[i].conversation = BuildConversation(task.solver, s);
    }
    WARDEN_ASSIGN_OR_RETURN(std::vector<std::vector<double>> base, ScoreEach(backend, premise, &out.outs));
    for (size_t i = 0; i < out.choice_lp.size(); ++i) {
      if (base[i].size() != out.choice_lp[i].size()) {
        out.choice_lp[i].clear();  // an error of this sample, recorded by ScoreEach
        continue;
      }
      for (size_t c = 0; c < base[i].size(); ++c) out.choice_lp[i][c] -= base[i][c];
    }
  }
  for (size_t i = 0; i < out.choice_lp.size(); ++i) {
    const std::vector<double>& lp = out.choice_lp[i];
    if (lp.empty()) continue;
    size_t best = 0;
    for (size_t c = 1; c < lp.size(); ++c) best = lp[c] > lp[best] ? c : best;
    out.outs[i].text = SolverLabel(task.solver, best);
  }
  return out;
}

// Step 3b, solving by generation (generate and choice_generate).
Solved SolveByGeneration(const Task& task, ModelBackend& backend, const std::vector<Conversation>& convs,
                         const RunOptions& o, int epoch) {
  Solved out;
  out.outs.resize(convs.size());
  GenerateOptions g;
  g.max_tokens = task.solver.max_tokens;
  g.temperature = task.solver.temperature;
  g.seed = o.seed + static_cast<uint64_t>(epoch);
  auto batch_out = backend.Generate(convs, g);
  if (batch_out.ok()) {
    out.outs = std::move(*batch_out);
    return out;
  }
  for (size_t i = 0; i < convs.size(); ++i) {  // as for log-probs: isolate the failing samples
    auto one = backend.Generate({convs[i]}, g);
    if (one.ok()) {
      out.outs[i] = std::move((*one)[0]);
    } else {
      out.outs[i].error = one.status().message();
    }
  }
  return out;
}

// Step 4, scoring and logging one sample-epoch. A failed backend call or scorer is an error of
// the sample (counted, logged), never a score; a failed log write ends the run.
Status ScoreAndLog(const Task& task, const RunOptions& o, const Sample& s, int epoch, const Conversation& conv,
                   const Completion& c, const std::vector<double>* choice_lp, double ms, RunState* st) {
  Json rec = {{"type", "sample"}, {"id", s.id},           {"epoch", epoch},
              {"line", s.line},   {"category", s.category}, {"cluster", s.cluster},
              {"input", Messages(conv)}, {"target", s.target}, {"output", c.text},
              {"finish_reason", c.finish_reason}, {"ms", ms}};
  if (!c.token_logprobs.empty()) rec["token_logprobs"] = c.token_logprobs;
  if (choice_lp != nullptr && !choice_lp->empty()) rec["choice_logprobs"] = *choice_lp;
  std::string error = c.error;
  Result<Score> sc = error.empty() ? task.scorer->Grade(s, c.text) : Result<Score>(Status::Internal(error));
  if (o.on_sample) o.on_sample(s, epoch, c.text, sc);
  if (error.empty()) {
    if (sc.ok()) {
      rec["score"] = sc->value;
      rec["answer"] = sc->answer;
      if (!sc->explanation.empty()) rec["explanation"] = sc->explanation;
      st->scored.push_back({sc->value, s.cluster, s.category});
    } else {
      error = "scorer " + task.scorer->name() + ": " + sc.status().message();
    }
  }
  rec["error"] = error;
  if (!error.empty()) ++st->result.errors;
  ++st->result.attempted;
  if (st->log) WARDEN_RETURN_IF_ERROR(st->log->Write(rec));
  return Status::Ok();
}

// Steps 3 and 4 for one batch of pending samples of `epoch`.
Status RunBatch(const Task& task, ModelBackend& backend, const RunOptions& o, Env* env, int epoch,
                const std::vector<const Sample*>& batch, RunState* st) {
  std::vector<Conversation> convs;
  for (const Sample* s : batch) convs.push_back(BuildConversation(task.solver, *s));
  const uint64_t t0 = env->NowMicros();
  Solved solved;
  if (task.solver.kind == SolverKind::kChoiceLogprob) {
    WARDEN_ASSIGN_OR_RETURN(solved, SolveByLogprob(task, backend, batch, convs));
  } else {
    solved = SolveByGeneration(task, backend, convs, o, epoch);
  }
  const double ms = static_cast<double>(env->NowMicros() - t0) / 1000.0 / static_cast<double>(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::vector<double>* lp = solved.choice_lp.empty() ? nullptr : &solved.choice_lp[i];
    WARDEN_RETURN_IF_ERROR(ScoreAndLog(task, o, *batch[i], epoch, convs[i], solved.outs[i], lp, ms, st));
  }
  return Status::Ok();
}

// Step 5: the estimates, and the log's footer.
Status Finish(const RunOptions& o, Env* env, uint64_t start_us, RunState* st) {
  st->result.estimate = EstimateMean(st->scored, o.bootstrap);
  st->result.by_category = EstimateByCategory(st->scored, o.bootstrap);
  st->result.seconds = static_cast<double>(env->NowMicros() - start_us) / 1e6;
  if (!st->log) return Status::Ok();
  WARDEN_RETURN_IF_ERROR(st->log->Write(
      {{"type", "footer"}, {"finished", UtcIso(env->NowUnixSeconds())}, {"summary", st->result.ToJson()}}));
  return st->log->Close();
}

}  // namespace

Result<TaskResult> RunTask(const Task& task, ModelBackend& backend, const RunOptions& o) {
  if (task.scorer == nullptr) return Status::InvalidArgument("task " + task.name + ": no scorer");
  if (o.epochs < 1) return Status::InvalidArgument("epochs must be at least 1");
  Env* env = o.env != nullptr ? o.env : Env::Default();
  const uint64_t start_us = env->NowMicros();
  RunState st;
  st.result = NewResult(task, backend, o);
  const std::vector<const Sample*> samples = SelectSamples(task.dataset, o.limit);
  WARDEN_RETURN_IF_ERROR(OpenLog(task, o, env, &st));

  const size_t total = samples.size() * static_cast<size_t>(o.epochs);
  size_t progressed = st.result.attempted;
  if (o.progress) o.progress(progressed, total);
  const size_t batch = std::max<size_t>(1, o.batch);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::vector<const Sample*> pending;  // not yet in the log
    for (const Sample* s : samples) {
      if (!st.done.count(SampleKey(s->id, epoch))) pending.push_back(s);
    }
    for (size_t at = 0; at < pending.size(); at += batch) {
      const size_t end = std::min(pending.size(), at + batch);
      const std::vector<const Sample*> slice(pending.begin() + static_cast<std::ptrdiff_t>(at),
                                             pending.begin() + static_cast<std::ptrdiff_t>(end));
      WARDEN_RETURN_IF_ERROR(RunBatch(task, backend, o, env, epoch, slice, &st));
      progressed += end - at;
      if (o.progress) o.progress(progressed, total);
    }
  }
  WARDEN_RETURN_IF_ERROR(Finish(o, env, start_us, &st));
  return std::move(st.result);
}

}  // namespace warden::evals
