// The cascade's stronger stage in the request path (internal.h: Guard::Impl::Escalate). It runs
// last in the input stage: in front of a model, after the input probes read the prompt (on the
// decode thread, so an escalated request holds the batch for one guard-model pass); in front of
// an upstream, after the text safeguards (on the request's thread).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

#include "guard/internal.h"
#include "warden/guard/audit.h"

namespace warden::guard {

double Guard::Impl::EscalationThreshold(double risk) {
  const CascadeSpec& c = safeguards.cascade;
  if (c.escalate_rate <= 0) return c.escalate_at;
  std::lock_guard<std::mutex> lock(escalation_mu);
  double threshold = c.escalate_at;
  if (recent_risks.size() >= 50) {
    // The k-th largest of the recent risks, k = ceil(rate * n): at or above it lie that share.
    std::vector<double> v(recent_risks.begin(), recent_risks.end());
    const size_t k = std::max<size_t>(1, static_cast<size_t>(std::ceil(c.escalate_rate * static_cast<double>(v.size()))));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k - 1), v.end(), std::greater<double>());
    threshold = v[k - 1];
  }
  recent_risks.push_back(risk);
  if (static_cast<int64_t>(recent_risks.size()) > c.window) recent_risks.pop_front();
  return threshold;
}

std::string Guard::Impl::Escalate(const std::string& text, nlohmann::json* input) {
  const CascadeSpec& c = safeguards.cascade;
  const double cheap = InputStageRisk(*input);
  // A request nothing scored (-infinity) counts as -1e9, the lowest a safeguards file can
  // write: `escalate_at: -1e9` sends every request to the guard model.
  const double at = EscalationThreshold(std::max(cheap, -1e9));
  const bool escalated = std::max(cheap, -1e9) >= at;
  nlohmann::json e = {{"escalated", escalated},
                      {"escalate_at", at},
                      {"cheap_risk", std::isfinite(cheap) ? nlohmann::json(cheap) : nlohmann::json(nullptr)}};
  if (c.escalate_rate > 0) e["escalate_rate"] = c.escalate_rate;
  if (!escalated) {
    (*input)[c.name] = std::move(e);
    return "";
  }
  const auto t0 = Clock::now();
  Result<std::vector<double>> scored = cascade->Score({text});
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::string error;
  if (!scored.ok()) {
    error = scored.status().ToString();
  } else if (!std::isfinite(scored->at(0))) {
    error = "score is not finite";
  } else if (c.budget_ms > 0 && seconds * 1000 > c.budget_ms) {
    error = "over its time budget of " + std::to_string(c.budget_ms) + " ms";
  }
  const bool fired = error.empty() && scored->at(0) > c.threshold;
  e["threshold"] = c.threshold;
  e["fired"] = fired;
  e["seconds"] = seconds;
  e["model_sha256"] = cascade_sha256;
  if (scored.ok() && std::isfinite(scored->at(0))) e["score"] = scored->at(0);
  if (!error.empty()) e["error"] = error;
  if (fired) {  // the hazard it names, for the record and the reviewer (a failure here decides nothing)
    Result<std::string> category = cascade->Category(text);
    e[category.ok() ? "category" : "category_error"] = category.ok() ? *category : category.status().ToString();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    SafeguardCounters& n = counters.back();
    ++n.calls, n.seconds += seconds;
    (!error.empty() ? n.errors : fired ? n.fired : n.passed) += 1;
  }
  (*input)[c.name] = std::move(e);
  return !error.empty() ? "error" : fired ? "block" : "";
}

}  // namespace warden::guard
