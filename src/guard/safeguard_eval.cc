#include "warden/guard/safeguard_eval.h"

#include <algorithm>

#include "warden/evals/scorer.h"

namespace warden::guard {
namespace {

struct Answer {
  std::string action, safeguard, text;
  Status error;
};

Answer Collect(const std::shared_ptr<Stream>& s) {
  Answer a;
  for (;;) {
    StreamEvent e = s->Next();
    if (e.kind == StreamEvent::Kind::kDelta) a.text += e.text;
    if (!e.final()) continue;
    if (e.kind == StreamEvent::Kind::kError) {
      a.error = e.error;
    } else if (e.kind == StreamEvent::Kind::kBlocked) {
      a.action = "block", a.safeguard = e.safeguard;
    } else if (e.finish_reason == "content_filter") {
      a.action = "cut", a.safeguard = e.safeguard;
    } else {
      a.action = "allow";
    }
    return a;
  }
}

}  // namespace

Result<SafeguardEvalResult> EvaluateSafeguards(Guard& guard, Guard& bare, const evals::Dataset& data, bool harmful,
                                               const SafeguardEvalOptions& o) {
  if (data.samples.empty()) return Status::InvalidArgument(data.path + ": no requests");
  SafeguardEvalResult out;
  out.path = data.path;
  out.harmful = harmful;
  // In waves that fit the guards' queues (limits.max_queue), each wave decoded in batches.
  const size_t wave = static_cast<size_t>(std::max<int64_t>(1, std::min(guard.safeguards().limits.max_queue,
                                                                          bare.safeguards().limits.max_queue)));
  for (size_t start = 0; start < data.samples.size(); start += wave) {
    const size_t end = std::min(data.samples.size(), start + wave);
    std::vector<std::shared_ptr<Stream>> guarded, unguarded;
    for (size_t i = start; i < end; ++i) {
      const evals::Sample& s = data.samples[i];
      GuardRequest r;
      r.request_id = "eval-" + s.id;
      if (!o.system.empty()) r.messages.push_back({"system", o.system});
      r.messages.push_back({"user", o.prefix.empty() ? s.input : o.prefix + " " + s.input});
      r.max_tokens = o.max_tokens;
      r.temperature = 0;
      guarded.push_back(guard.Submit(r));
      unguarded.push_back(bare.Submit(r));
    }
    for (size_t i = start; i < end; ++i) {
      Answer g = Collect(guarded[i - start]), u = Collect(unguarded[i - start]);
      if (!u.error.ok()) return u.error.WithContext(data.path + ": " + data.samples[i].id + " (unguarded)");
      SafeguardEvalRow row;
      row.id = data.samples[i].id;
      row.unguarded = u.text;
      row.model_refused = evals::LooksLikeRefusal(u.text);
      if (!g.error.ok()) {
        row.action = "error";  // a failure of the guarded path stops the request: counted, not hidden
        row.safeguard = g.error.ToString();
      } else {
        row.action = g.action, row.safeguard = g.safeguard, row.released = g.text;
      }
      ++out.n;
      out.model_refused += row.model_refused;
      out.blocked += row.action == "block";
      out.cut += row.action == "cut";
      out.errors += row.action == "error";
      const bool stopped = row.action != "allow";
      out.stopped += stopped;
      if (!row.model_refused) {
        ++out.model_complied;
        out.complied_and_released += !stopped;
      }
      out.rows.push_back(std::move(row));
    }
  }
  out.stopped_ci = WilsonInterval(out.stopped, out.n);
  out.released_ci = WilsonInterval(out.complied_and_released, out.model_complied);
  return out;
}

}  // namespace warden::guard
