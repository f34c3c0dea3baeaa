// RunTask: samples -> conversations -> backend -> scorer -> log records and an estimate.
#include <chrono>
#include <ctime>
#include <set>

#include "warden/base/clock.h"
#include "warden/base/file.h"
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
using Clock = std::chrono::steady_clock;

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
  return {{"kind", SolverKindName(kind)}, {"system", system},         {"few_shot", shots},
          {"list_choices", list_choices}, {"numbered_labels", numbered_labels},
          {"reply_with_text", reply_with_text}, {"max_tokens", max_tokens}, {"temperature", temperature}};
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

Result<TaskResult> RunTask(const Task& task, ModelBackend& backend, const RunOptions& o) {
  if (task.scorer == nullptr) return Status::InvalidArgument("task " + task.name + ": no scorer");
  if (o.epochs < 1) return Status::InvalidArgument("epochs must be at least 1");
  const Clock::time_point start = Clock::now();
  TaskResult result;
  result.task = task.name;
  result.metric = task.metric;
  result.model = backend.Identity();
  result.dataset_path = task.dataset.path;
  result.dataset_sha256 = task.dataset.sha256;
  result.skipped_rows = task.dataset.skipped.size();
  result.log_path = o.log_path;

  std::vector<const Sample*> samples;
  for (const Sample& s : task.dataset.samples) {
    if (o.limit > 0 && samples.size() >= o.limit) break;
    samples.push_back(&s);
  }
  std::vector<ScoredSample> scored;
  std::set<std::string> done;
  const Json identity = Identity(task, result.model, o);

  // The log: resumed when it describes this same evaluation, else started afresh.
  std::unique_ptr<EvalLogWriter> log;
  if (!o.log_path.empty()) {
    bool resumed = false;
    if (o.resume && FileExists(o.log_path)) {
      std::vector<Json> previous;
      auto scan = ScanEvalLog(o.log_path, [&](const Json& r) {
        if (r.value("type", "") == "sample") previous.push_back(r);
        return true;
      });
      if (scan.ok() && scan->header.contains("identity") && scan->header["identity"] == identity) {
        for (const Json& r : previous) {
          const std::string key = SampleKey(r.value("id", ""), r.value("epoch", 0));
          if (!done.insert(key).second) continue;
          ++result.attempted;
          ++result.resumed;
          if (!r.value("error", "").empty()) {
            ++result.errors;
            continue;
          }
          scored.push_back({r.value("score", 0.0), r.value("cluster", ""), r.value("category", "")});
        }
        WARDEN_ASSIGN_OR_RETURN(log, EvalLogWriter::Append(o.log_path, scan->valid_bytes));
        resumed = true;
      }
    }
    if (!resumed) {
      Json header = {{"type", "header"},
                     {"format", kEvalLogFormat},
                     {"task", task.name},
                     {"task_version", task.version},
                     {"description", task.description},
                     {"metric", task.metric},
                     {"model", {{"kind", result.model.kind}, {"name", result.model.name},
                                {"sha256", result.model.sha256}, {"detail", result.model.detail}}},
                     {"dataset", {{"path", task.dataset.path}, {"sha256", task.dataset.sha256},
                                  {"rows", task.dataset.samples.size()}, {"skipped", task.dataset.skipped.size()}}},
                     {"scorer", {{"name", task.scorer->name()}, {"version", task.scorer->version()}}},
                     {"solver", task.solver.ToJson()},
                     {"config", {{"limit", o.limit}, {"epochs", o.epochs}, {"batch", o.batch}}},
                     {"warden", {{"version", WARDEN_VERSION}, {"git", WARDEN_GIT_REVISION}}},
                     {"seed", o.seed},
                     {"started", UtcNow()},
                     {"identity", identity}};
      WARDEN_ASSIGN_OR_RETURN(log, EvalLogWriter::Create(o.log_path, header));
    }
  }

  const size_t total = samples.size() * static_cast<size_t>(o.epochs);
  size_t progressed = result.attempted;
  if (o.progress) o.progress(progressed, total);
  const size_t batch = std::max<size_t>(1, o.batch);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::vector<const Sample*> pending;  // not yet in the log
    for (const Sample* s : samples) {
      if (!done.count(SampleKey(s->id, epoch))) pending.push_back(s);
    }
    for (size_t at = 0; at < pending.size(); at += batch) {
      const size_t end = std::min(pending.size(), at + batch);
      std::vector<Conversation> convs;
      for (size_t i = at; i < end; ++i) convs.push_back(BuildConversation(task.solver, *pending[i]));
      const Clock::time_point t0 = Clock::now();
      std::vector<Completion> outs(convs.size());
      std::vector<std::vector<double>> choice_lp;
      if (task.solver.kind == SolverKind::kChoiceLogprob) {
        std::vector<ReplyScoreRequest> reqs;
        for (size_t i = at; i < end; ++i) {
          const Sample& s = *pending[i];
          if (s.choices.empty()) return Status::InvalidArgument("sample " + s.id + ": choice_logprob needs choices");
          ReplyScoreRequest r{convs[i - at], {}};
          for (size_t c = 0; c < s.choices.size(); ++c) {
            r.replies.push_back(task.solver.reply_with_text ? s.choices[c] : SolverLabel(task.solver, c));
          }
          reqs.push_back(std::move(r));
        }
        auto batch_lp = backend.ScoreReplies(reqs);
        if (batch_lp.ok()) {
          choice_lp = std::move(*batch_lp);
        } else if (batch_lp.status().code() == StatusCode::kUnsupported) {
          return batch_lp.status();  // the backend cannot do this at all: the task cannot run
        } else {
          // One bad sample (e.g. longer than the model's context) must not sink the batch:
          // score one at a time, and record the failures as errors of their samples.
          choice_lp.assign(reqs.size(), {});
          for (size_t i = 0; i < reqs.size(); ++i) {
            auto one = backend.ScoreReplies({reqs[i]});
            if (one.ok()) {
              choice_lp[i] = std::move((*one)[0]);
            } else {
              outs[i].error = one.status().message();
            }
          }
        }
        for (size_t i = 0; i < choice_lp.size(); ++i) {
          if (choice_lp[i].empty()) continue;
          size_t best = 0;
          for (size_t c = 1; c < choice_lp[i].size(); ++c) best = choice_lp[i][c] > choice_lp[i][best] ? c : best;
          outs[i].text = SolverLabel(task.solver, best);
        }
      } else {
        GenerateOptions g;
        g.max_tokens = task.solver.max_tokens;
        g.temperature = task.solver.temperature;
        g.seed = o.seed + static_cast<uint64_t>(epoch);
        auto batch_out = backend.Generate(convs, g);
        if (batch_out.ok()) {
          outs = std::move(*batch_out);
        } else {
          for (size_t i = 0; i < convs.size(); ++i) {  // as above: isolate the failing samples
            auto one = backend.Generate({convs[i]}, g);
            if (one.ok()) {
              outs[i] = std::move((*one)[0]);
            } else {
              outs[i].error = one.status().message();
            }
          }
        }
      }
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() /
                        static_cast<double>(end - at);
      for (size_t i = at; i < end; ++i) {
        const Sample& s = *pending[i];
        const Completion& c = outs[i - at];
        Json rec = {{"type", "sample"}, {"id", s.id},           {"epoch", epoch},
                    {"line", s.line},   {"category", s.category}, {"cluster", s.cluster},
                    {"input", Messages(convs[i - at])}, {"target", s.target}, {"output", c.text},
                    {"finish_reason", c.finish_reason}, {"ms", ms}};
        if (!c.token_logprobs.empty()) rec["token_logprobs"] = c.token_logprobs;
        if (!choice_lp.empty() && !choice_lp[i - at].empty()) rec["choice_logprobs"] = choice_lp[i - at];
        std::string error = c.error;
        Result<Score> sc = error.empty() ? task.scorer->Grade(s, c.text) : Result<Score>(Status::Internal(error));
        if (o.on_sample) o.on_sample(s, epoch, c.text, sc);
        if (error.empty()) {
          if (sc.ok()) {
            rec["score"] = sc->value;
            rec["answer"] = sc->answer;
            if (!sc->explanation.empty()) rec["explanation"] = sc->explanation;
            scored.push_back({sc->value, s.cluster, s.category});
          } else {
            error = "scorer " + task.scorer->name() + ": " + sc.status().message();
          }
        }
        rec["error"] = error;
        if (!error.empty()) ++result.errors;
        ++result.attempted;
        if (log) WARDEN_RETURN_IF_ERROR(log->Write(rec));
      }
      progressed += end - at;
      if (o.progress) o.progress(progressed, total);
    }
  }
  result.estimate = EstimateMean(scored, o.bootstrap);
  result.by_category = EstimateByCategory(scored, o.bootstrap);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (log) {
    WARDEN_RETURN_IF_ERROR(log->Write({{"type", "footer"}, {"finished", UtcNow()}, {"summary", result.ToJson()}}));
    WARDEN_RETURN_IF_ERROR(log->Close());
  }
  return result;
}

}  // namespace warden::evals
