// One batch through the model with its safeguards (guard.h): the input probes read the prefill,
// the output monitors read every token, the release buffer decides what leaves, and each row
// ends in one decision record committed before its final event.
#include <cmath>
#include <nlohmann/json.hpp>

#include "guard/internal.h"
#include "warden/guard/release.h"
#include "warden/interp/monitored_generation.h"

namespace warden::guard {

void Guard::Impl::RunBatch(std::vector<Job>& jobs) {
  const int64_t B = static_cast<int64_t>(jobs.size());
  const engine::Tokenizer& tok = *model->tokenizer();
  const Clock::time_point start = Clock::now();
  std::vector<Row> rows(B);
  std::vector<std::vector<int32_t>> prompts;
  int64_t longest_limit = 0;
  for (int64_t b = 0; b < B; ++b) {
    rows[b].job = &jobs[b];
    rows[b].release = std::make_unique<ReleaseBuffer>(safeguards.holdback, jobs[b].stops);
    rows[b].prev = jobs[b].ids.back();
    prompts.push_back(jobs[b].ids);
    longest_limit = std::max(longest_limit, jobs[b].limit);
  }

  std::vector<bool> step_counted;  // output probes' time is per step for the whole batch
  interp::MonitoredCallbacks cb;
  cb.on_prompt = [&](int64_t b, const std::vector<double>& scores, const std::vector<double>& seconds) {
    Row& r = rows[b];
    for (size_t k = 0; k < input_packs.size(); ++k) {
      const size_t i = input_pack_of[k];
      const Safeguard& s = input[i];
      const bool nan = !std::isfinite(scores[k]);
      const bool slow = s.spec.budget_ms > 0 && seconds[k] * 1000 > s.spec.budget_ms;
      const bool fired = !nan && scores[k] > s.threshold;
      r.input[s.spec.name] = {{"score", nan ? nlohmann::json(nullptr) : nlohmann::json(scores[k])},
                              {"threshold", s.threshold}, {"fired", fired}, {"seconds", seconds[k]}};
      {
        std::lock_guard<std::mutex> lock(mu);
        SafeguardCounters& c = Counter("input", i);
        if (b == 0) ++c.calls, c.seconds += seconds[k];
        (nan || slow ? c.errors : fired ? c.fired : c.passed) += 1;
      }
      if (nan || slow) {
        r.input[s.spec.name]["error"] = nan ? "score is not finite" : "over its time budget";
        r.Decide("error", "input", s.spec.name, -1);
      } else if (fired) {
        r.Decide("block", "input", s.spec.name, -1);
      }
    }
    if (r.decided()) return false;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kAdmitted;
    e.queue_seconds = std::chrono::duration<double>(start - r.job->submitted).count();
    r.job->out->Push(std::move(e));
    return true;
  };
  cb.on_scored = [&](int64_t b, int64_t index, const std::vector<double>& scores, const std::vector<double>& seconds) {
    Row& r = rows[b];
    if (step_counted.size() <= static_cast<size_t>(index)) step_counted.resize(index + 1, false);
    if (!step_counted[index]) {
      step_counted[index] = true;
      std::lock_guard<std::mutex> lock(mu);
      for (size_t k = 0; k < output_packs.size(); ++k) {
        SafeguardCounters& c = Counter("output", output_pack_of[k]);
        ++c.calls, c.seconds += seconds[k];
      }
    }
    if (r.decided()) return false;
    for (size_t k = 0; k < output_packs.size(); ++k) {
      const size_t i = output_pack_of[k];
      const Safeguard& s = output[i];
      const bool nan = !std::isfinite(scores[k]);
      const bool slow = s.spec.budget_ms > 0 && seconds[k] * 1000 > s.spec.budget_ms;
      const bool fired = !nan && scores[k] > s.threshold;
      nlohmann::json& o = r.output[s.spec.name];
      if (o.is_null()) o = {{"max", nullptr}, {"threshold", s.threshold}, {"seconds", 0.0}};
      if (!nan && (o["max"].is_null() || scores[k] > o["max"].get<double>())) o["max"] = scores[k];
      o["seconds"] = o["seconds"].get<double>() + seconds[k];
      if (nan || slow) {
        o["error"] = (nan ? "score is not finite at token " : "over its time budget at token ") + std::to_string(index);
        r.Decide("error", "output", s.spec.name, index);
      } else if (fired) {
        o["fired_at"] = index, o["score"] = scores[k];
        r.Decide("cut", "output", s.spec.name, index);
      }
      if (r.decided()) break;
    }
    if (r.decided()) return false;
    r.release->Scored(index + 1);
    r.PushRelease();
    return true;
  };
  cb.on_token = [&](int64_t b, int32_t token, float) {
    Row& r = rows[b];
    if (r.decided()) return false;
    if (r.job->out->abandoned()) {  // the client is gone: stop spending the batch on it
      r.finish = "abandoned";
      return false;
    }
    if (TimedOut(r, r.release->tokens())) return false;
    const int64_t index = r.release->tokens();
    if (index >= r.job->limit) {  // the extra token that let the last one be read
      r.finish = "length";
      return false;
    }
    const std::string bytes = tok.TokenBytes(token, r.prev);
    r.prev = token;
    r.raw += bytes;
    const bool stop = r.release->Add(bytes);
    if (CheckOutputText(r, index)) return false;
    if (stop) {
      r.finish = "stop";
      return false;
    }
    if (output_packs.empty()) {  // read by every output safeguard already
      r.release->Scored(index + 1);
      r.PushRelease();
    }
    return true;
  };

  engine::SamplingOptions so;
  const GuardRequest& first = jobs.front().request;
  so.max_new_tokens = longest_limit + 1;
  so.temperature = first.temperature;
  so.top_p = first.top_p;
  so.top_k = first.top_k;
  so.seed = first.seed;
  so.stop_at_eos = true;
  Result<std::vector<engine::Generation>> gens =
      interp::GenerateMonitored(*model, prompts, so, input_packs, output_packs, cb);

  for (int64_t b = 0; b < B; ++b) {
    Row& r = rows[b];
    Job& job = *r.job;
    if (!gens.ok()) {
      store::DecisionRecord rec;
      rec.action = "error";
      rec.scores_json = nlohmann::json({{"error", gens.status().ToString()}}).dump();
      rec.response = r.release->released_text();
      rec.released_tokens = r.release->released_tokens();
      Status st = Record(job, rec);
      job.out->Push([&] {
        StreamEvent e;
        e.kind = StreamEvent::Kind::kError;
        e.error = st.ok() ? gens.status() : st;
        return e;
      }());
      continue;
    }
    const engine::Generation& g = (*gens)[b];
    r.usage.prompt_tokens = static_cast<int64_t>(job.ids.size());
    r.usage.completion_tokens = std::min<int64_t>(static_cast<int64_t>(g.tokens.size()), job.limit);
    if (!r.decided()) {
      // The row ended by itself. Its content: every token added (an EOS never is), less the last
      // one when a stop string or the context ended the row (that token was never read).
      int64_t content = r.release->tokens();
      if (r.finish == "stop" || g.finish_reason == "context") content = std::max<int64_t>(0, content - 1);
      if (r.finish.empty()) r.finish = g.finish_reason == "context" ? "length" : "stop";
      r.release->Finish(content);
    }
    Finish(r);
  }
}

}  // namespace warden::guard
