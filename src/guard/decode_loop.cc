// The guard's decode loop (guard.h): requests join the running batch at the next step and leave
// when they end (continuous batching, interp::MonitoredDecoder). The input probes read each
// newcomer's prefill, the output monitors read every token, the release buffer decides what
// leaves, and each row ends in one decision record committed before its final event.
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "guard/internal.h"
#include "warden/guard/release.h"
#include "warden/interp/monitored_generation.h"

namespace warden::guard {
namespace {

// A request in the batch: its job (owned here, so that the row's pointer stays valid) and row.
struct Active {
  std::unique_ptr<Job> job;
  Row row;
  Clock::time_point admitted;
};

}  // namespace

void Guard::Impl::RunDecoder() {
  const engine::Tokenizer& tok = *model->tokenizer();
  Result<std::unique_ptr<interp::MonitoredDecoder>> created =
      interp::MonitoredDecoder::Create(*model, input_packs, output_packs, safeguards.limits.max_batch);
  std::map<int64_t, Active> active;
  int64_t step = 0, input_counted = -1, output_counted = -1;  // probe time is per step for the whole batch

  interp::MonitoredCallbacks cb;
  cb.on_prompt = [&](int64_t id, const std::vector<double>& scores, const std::vector<double>& seconds) {
    Active& a = active.at(id);
    Row& r = a.row;
    const bool count_call = input_counted != step;
    input_counted = step;
    for (size_t k = 0; k < input_packs.size(); ++k) {
      const size_t i = input_pack_of[k];
      const Safeguard& s = input[i];
      const bool nan = !std::isfinite(scores[k]);
      const bool slow = s.spec.budget_ms > 0 && seconds[k] * 1000 > s.spec.budget_ms;
      const bool fired = !nan && scores[k] > s.threshold;
      r.input[s.spec.name] = {{"score", nan ? nlohmann::json(nullptr) : nlohmann::json(scores[k])},
                              {"threshold", s.threshold}, {"fired", fired}, {"seconds", seconds[k]}};
      if (s.spec.watch) r.input[s.spec.name]["watch"] = true;
      {
        std::lock_guard<std::mutex> lock(mu);
        SafeguardCounters& c = Counter("input", i);
        if (count_call) ++c.calls, c.seconds += seconds[k];
        (nan || slow ? c.errors : fired ? c.fired : c.passed) += 1;
      }
      if (nan || slow) {
        r.input[s.spec.name]["error"] = nan ? "score is not finite" : "over its time budget";
        r.Decide("error", "input", s.spec.name, -1);
      } else if (fired && !s.spec.watch) {
        r.Decide("block", "input", s.spec.name, -1);
      }
    }
    if (!r.decided() && cascade) {  // the input stage's last step: the guard model on escalated requests
      const std::string decided = Escalate(r.job->request_text, &r.input);
      if (!decided.empty()) r.Decide(decided, "input", safeguards.cascade.name, -1);
    }
    if (r.decided()) return false;
    StreamEvent e;
    e.kind = StreamEvent::Kind::kAdmitted;
    e.queue_seconds = std::chrono::duration<double>(a.admitted - r.job->submitted).count();
    r.job->out->Push(std::move(e));
    return true;
  };
  cb.on_scored = [&](int64_t id, int64_t index, const std::vector<double>& scores, const std::vector<double>& seconds) {
    Row& r = active.at(id).row;
    if (output_counted != step) {
      output_counted = step;
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
      if (o.is_null()) o = {{"max", nullptr}, {"threshold", s.threshold}, {"seconds", 0.0}, {"per_token", nlohmann::json::array()}};
      if (!nan && (o["max"].is_null() || scores[k] > o["max"].get<double>())) o["max"] = scores[k];
      // Every token's score, to 4 decimals: the reviewer's page shows them on the text.
      o["per_token"].push_back(nan ? nlohmann::json(nullptr) : nlohmann::json(std::round(scores[k] * 1e4) / 1e4));
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
  cb.on_token = [&](int64_t id, int32_t token, float) {
    Row& r = active.at(id).row;
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
    r.pieces.push_back(bytes);
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


  // Ends a row that could not run or whose step failed: an error record, then an error event.
  auto fail = [&](Row& r, const Status& why) {
    store::DecisionRecord rec;
    rec.action = "error";
    rec.scores_json = nlohmann::json({{"error", why.ToString()}}).dump();
    rec.response = r.release->released_text();
    rec.released_tokens = r.release->released_tokens();
    Status st = Record(*r.job, rec);
    StreamEvent e;
    e.kind = StreamEvent::Kind::kError;
    e.error = st.ok() ? why : st;
    r.job->out->Push(std::move(e));
  };

  for (;; ++step) {
    std::vector<std::unique_ptr<Job>> admitted;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return stopping || !queue.empty() || !active.empty(); });
      if (queue.empty() && active.empty()) return;  // stopping, and nothing left
      const int64_t free = created.ok() ? (*created)->max_rows() - (*created)->rows() : static_cast<int64_t>(queue.size());
      while (!queue.empty() && static_cast<int64_t>(admitted.size()) < free) {
        admitted.push_back(std::make_unique<Job>(std::move(queue.front())));
        queue.pop_front();
      }
    }
    const Clock::time_point now = Clock::now();
    for (std::unique_ptr<Job>& job : admitted) {
      Row r;
      r.job = job.get();
      r.input = job->input_text;
      r.release = std::make_unique<ReleaseBuffer>(safeguards.holdback, job->stops);
      r.prev = job->ids.back();
      if (!created.ok()) {
        fail(r, created.status());
        continue;
      }
      engine::SamplingOptions so;
      so.max_new_tokens = job->limit + 1;  // one more than released: the last one's activation is read
      so.temperature = job->request.temperature;
      so.top_p = job->request.top_p;
      so.top_k = job->request.top_k;
      so.seed = job->request.seed;
      so.stop_at_eos = true;
      Result<int64_t> id = (*created)->Add(job->ids, so);
      if (!id.ok()) {
        fail(r, id.status());
        continue;
      }
      active.emplace(*id, Active{std::move(job), std::move(r), now});
    }
    if (active.empty()) continue;
    interp::MonitoredDecoder& decoder = **created;
    const Status stepped = decoder.Step(cb);
    for (auto& [id, gen] : decoder.TakeFinished()) {
      auto it = active.find(id);
      if (it == active.end()) continue;
      Row& r = it->second.row;
      Job& job = *r.job;
      if (gen.finish_reason == "error") {
        fail(r, stepped.ok() ? Status::Internal("the decode step failed") : stepped);
        active.erase(it);
        continue;
      }
      r.usage.prompt_tokens = static_cast<int64_t>(job.ids.size());
      r.usage.completion_tokens = std::min<int64_t>(static_cast<int64_t>(gen.tokens.size()), job.limit);
      if (!r.decided()) {
        // The row ended by itself. Its content: every token added (an EOS never is), less the last
        // one when a stop string or the context ended the row (that token was never read).
        int64_t content = r.release->tokens();
        if (r.finish == "stop" || gen.finish_reason == "context") content = std::max<int64_t>(0, content - 1);
        if (r.finish.empty()) r.finish = gen.finish_reason == "context" ? "length" : "stop";
        r.release->Finish(content);
      }
      Finish(r);
      active.erase(it);
    }
  }
}

}  // namespace warden::guard
