// What every path through the guard shares once a request runs (internal.h): releasing text,
// the output text classifiers, and the end of a row: counters, record, final events.
#include "guard/internal.h"

#include <algorithm>

namespace warden::guard {
namespace {

StreamEvent Event(StreamEvent::Kind kind) {
  StreamEvent e;
  e.kind = kind;
  return e;
}

}  // namespace

void Row::Decide(const std::string& a, const std::string& st, const std::string& by, int64_t token) {
  if (decided()) return;
  action = a, stage = st, decided_by = by, cut_token = token;
  release->Cut();
}

void Row::PushRelease() {
  std::string delta = release->Take();
  if (delta.empty()) return;
  StreamEvent e = Event(StreamEvent::Kind::kDelta);
  e.text = std::move(delta);
  job->out->Push(std::move(e));
}

bool Guard::Impl::CheckOutputText(Row& r, int64_t index) {
  for (size_t i = 0; i < output.size(); ++i) {
    const Safeguard& s = output[i];
    if (!s.reads_text()) continue;
    const TextVerdict v = RunText(s, r.raw);
    const bool slow = s.spec.budget_ms > 0 && v.seconds * 1000 > s.spec.budget_ms;
    nlohmann::json& o = r.output[s.spec.name];
    if (o.is_null()) o = {{"fired", false}, {"seconds", 0.0}};
    o["seconds"] = o["seconds"].get<double>() + v.seconds;
    if (v.score && (!o.contains("max") || *v.score > o["max"].get<double>())) o["max"] = *v.score, o["threshold"] = s.threshold;
    {
      std::lock_guard<std::mutex> lock(mu);
      SafeguardCounters& c = Counter("output", i);
      ++c.calls, c.seconds += v.seconds;  // decisions are counted once per request, in Finish
    }
    if (!v.error.empty() || slow) {
      o["error"] = (v.error.empty() ? std::string("over its time budget") : v.error) + " at token " + std::to_string(index);
      r.Decide("error", "output", s.spec.name, index);
      return true;
    }
    if (v.fired) {
      o["fired"] = true, o["fired_at"] = index;
      r.Decide("cut", "output", s.spec.name, index);
      return true;
    }
  }
  return false;
}

bool Guard::Impl::TimedOut(Row& r, int64_t index) {
  if (r.decided() || std::chrono::duration<double>(Clock::now() - r.job->submitted).count() <= safeguards.limits.request_seconds) return false;
  r.output["timeout"] = {{"error", "the request ran past limits.request_seconds (" + std::to_string(safeguards.limits.request_seconds) +
                                       " s) at token " + std::to_string(index)}};
  r.Decide("error", "timeout", "", index);
  return true;
}

void Guard::Impl::Finish(Row& r) {
  Job& job = *r.job;
  const bool abandoned = !r.decided() && r.finish == "abandoned";
  // Nothing more is released to a client that left: what it received is the record's response.
  const std::string tail = r.decided() || abandoned ? "" : r.release->Take();
  if (!abandoned && !(r.decided() && r.stage == "input")) {  // the output stage saw this row
    std::lock_guard<std::mutex> lock(mu);
    for (size_t k = 0; k < output.size(); ++k) {
      SafeguardCounters& c = Counter("output", k);
      if (r.decided() && r.stage == "output" && r.decided_by == output[k].spec.name) {
        (r.action == "cut" ? c.fired : c.errors) += 1;
      } else {
        c.passed += 1;
      }
    }
  }
  store::DecisionRecord rec;
  rec.action = r.decided() ? r.action : abandoned ? "abandoned" : "allow";
  rec.stage = r.stage;
  rec.monitor = r.decided_by;
  rec.cut_token = r.cut_token;
  rec.released_tokens = r.release->released_tokens();
  rec.response = r.release->released_text();  // the tail included: Take() counted it as released
  nlohmann::json scores = {{"input", r.input}, {"output", r.output}};
  // The released tokens' texts, so that per-token scores can be shown where they were read (never
  // in hash-only mode, and never what was withheld: the record keeps what the client received).
  if (!safeguards.hash_only) {
    const size_t released = static_cast<size_t>(std::max<int64_t>(0, rec.released_tokens));
    scores["tokens"] = std::vector<std::string>(r.pieces.begin(), r.pieces.begin() + std::min(released, r.pieces.size()));
  }
  rec.scores_json = scores.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // The final events, released by the committer once the record is committed.
  std::vector<StreamEvent> events;
  if (r.decided() && r.stage == "timeout") {  // not a safety decision: the client gets 504 or an error event
    StreamEvent e = Event(StreamEvent::Kind::kError);
    e.error = Status::DeadlineExceeded("the request ran past this server's limit of " + std::to_string(safeguards.limits.request_seconds) + " s");
    events.push_back(std::move(e));
  } else if (r.decided() && r.stage == "input") {
    StreamEvent e = Event(StreamEvent::Kind::kBlocked);
    e.safeguard = r.decided_by;
    e.usage = r.usage;
    events.push_back(std::move(e));
  } else {
    if (!tail.empty()) {
      StreamEvent e = Event(StreamEvent::Kind::kDelta);
      e.text = tail;
      events.push_back(std::move(e));
    }
    StreamEvent done = Event(StreamEvent::Kind::kDone);
    done.finish_reason = r.decided() ? "content_filter" : r.finish;
    done.safeguard = r.decided_by;
    done.usage = r.usage;
    events.push_back(std::move(done));
  }
  CommitThenRelease(job, std::move(rec), std::move(events));
}

}  // namespace warden::guard
