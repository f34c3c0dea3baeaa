// The audit queue's admission rule and the review report (audit.h).
#include "warden/guard/audit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "warden/base/sha256.h"

namespace warden::guard {
namespace {

using Json = nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

// One safeguard's entry in a record's scores: its margin over its threshold.
double Margin(const Json& e) {
  if (!e.is_object()) return -kInf;
  if (e.contains("error")) return kInf;
  if (!e.contains("threshold") || !e["threshold"].is_number()) {
    return e.value("fired", false) ? kInf : -kInf;  // a regex: it fired or it did not
  }
  const double threshold = e["threshold"].get<double>();
  for (const char* key : {"score", "max"}) {
    if (e.contains(key) && e[key].is_number()) return e[key].get<double>() - threshold;
  }
  return e.value("fired", false) ? kInf : -kInf;
}

bool Allowed(const std::string& action) { return action == "allow" || action == "abandoned"; }

std::string BandName(double min_risk) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "risk>=%g", min_risk);
  return buf;
}

}  // namespace

namespace {

// The largest margin among one stage's entries ({"name": {...}, ...}).
double StageRisk(const Json& stage, bool include_watch, const std::vector<std::string>& only) {
  double risk = -kInf;
  if (!stage.is_object()) return risk;
  for (const auto& [name, entry] : stage.items()) {
    if (!include_watch && entry.is_object() && entry.value("watch", false)) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
    risk = std::max(risk, Margin(entry));
  }
  return risk;
}

double Risk(const std::string& scores_json, bool output_too, bool include_watch, const std::vector<std::string>& only) {
  Json j = Json::parse(scores_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return kInf;  // unreadable scores: a human should look
  if (j.contains("error")) return kInf;                 // the row failed before its safeguards ran
  double risk = j.contains("input") ? StageRisk(j["input"], include_watch, only) : -kInf;
  if (output_too && j.contains("output")) risk = std::max(risk, StageRisk(j["output"], include_watch, only));
  return risk;
}

}  // namespace

double RecordRisk(const std::string& scores_json, bool include_watch, const std::vector<std::string>& only) {
  return Risk(scores_json, true, include_watch, only);
}

double InputRisk(const std::string& scores_json) { return Risk(scores_json, false, false, {}); }

double InputStageRisk(const nlohmann::json& input) { return StageRisk(input, false, {}); }

// Risks below -1e9 (-infinity: nothing scored the record) belong to a band starting at -1e9,
// the lowest a safeguards file can write.
bool InBand(const SampleBand& b, double risk) { return std::max(risk, -1e9) >= b.min_risk; }

std::string BandOf(const AuditSpec& spec, double risk) {
  for (const SampleBand& b : spec.sample) {
    if (InBand(b, risk)) return BandName(b.min_risk);
  }
  return "";
}

Auditor::Auditor(AuditSpec spec) : spec_(std::move(spec)), rng_(spec_.has_seed ? spec_.seed : std::random_device{}()) {}

std::optional<store::AuditItem> Auditor::Admit(const store::DecisionRecord& record) {
  if (!spec_.enabled) return std::nullopt;
  const double risk = RecordRisk(record.scores_json);
  store::AuditItem item;
  // SQLite stores no infinities in REAL columns reliably across drivers: clamp for ordering.
  item.priority = std::isinf(risk) ? (risk > 0 ? 1e300 : -1e300) : risk;
  if (risk >= spec_.risk_threshold) {
    item.reason = "risk";
    return item;
  }
  for (const SampleBand& b : spec_.sample) {
    if (!InBand(b, risk)) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (std::uniform_real_distribution<double>(0, 1)(rng_) >= b.rate) return std::nullopt;
    item.reason = "sample";
    item.stratum = BandName(b.min_risk);
    item.inclusion = b.rate;
    return item;
  }
  return std::nullopt;
}

Result<ReviewReport> BuildReviewReport(const store::Store& store, const AuditSpec& spec) {
  ReviewReport rep;
  WARDEN_ASSIGN_OR_RETURN(std::vector<store::DecisionRecord> records, store.Records());
  WARDEN_ASSIGN_OR_RETURN(std::vector<store::AuditItem> items, store.Queue(/*open_only=*/false, -1));
  WARDEN_ASSIGN_OR_RETURN(std::vector<store::Verdict> verdicts, store.Verdicts());
  rep.records = static_cast<int64_t>(records.size());
  rep.queued = static_cast<int64_t>(items.size());
  std::map<int64_t, const store::DecisionRecord*> by_seq;
  for (const auto& r : records) by_seq[r.seq] = &r;
  std::map<int64_t, const store::AuditItem*> item_of;
  for (const auto& i : items) {
    item_of[i.seq] = &i;
    (i.reviewed ? rep.reviewed : rep.open) += 1;
  }

  // Strata: allowed records below the risk threshold, by band.
  std::map<std::string, SampledBand> bands;
  for (const SampleBand& b : spec.sample) bands[BandName(b.min_risk)] = {BandName(b.min_risk), b.rate};
  for (const auto& r : records) {
    if (!Allowed(r.action)) continue;
    const double risk = RecordRisk(r.scores_json);
    if (risk >= spec.risk_threshold) continue;
    const std::string band = BandOf(spec, risk);
    if (band.empty()) ++rep.allowed_unsampled;
    else ++bands[band].allowed;
  }

  std::map<std::string, StagePrecision> stages;
  for (const store::Verdict& v : verdicts) {
    auto it = item_of.find(v.seq);
    auto rec = by_seq.find(v.seq);
    if (it == item_of.end() || rec == by_seq.end()) continue;
    const store::AuditItem& item = *it->second;
    const store::DecisionRecord& r = *rec->second;
    // Items queued for their user's standing (users.h) were not drawn at random: they measure
    // neither a stage's precision nor the allowed traffic.
    if (item.reason == "user") {
      ++rep.user_reviewed;
      continue;
    }
    if (item.reason == "sample" && Allowed(r.action)) {
      auto b = bands.find(item.stratum);
      if (b == bands.end()) continue;  // a band the current file no longer has
      if (v.label == "unsure") ++b->second.unsure;
      else ++b->second.reviewed, b->second.harmful += v.label == "harmful";
      continue;
    }
    if (r.action != "block" && r.action != "cut") continue;  // precision is of decisions
    StagePrecision& p = stages[r.stage + ":" + r.monitor];
    p.stage = r.stage + ":" + r.monitor;
    (v.label == "harmful" ? p.harmful : v.label == "benign" ? p.benign : p.unsure) += 1;
    // Decisions below the risk threshold were sampled: each verdict stands for 1/inclusion of them.
    const double w = item.inclusion > 0 ? 1.0 / item.inclusion : 1.0;
    if (v.label != "unsure") (v.label == "harmful" ? p.weighted_harmful : p.weighted_benign) += w, p.weight_squares += w * w;
  }
  for (auto& [name, p] : stages) {
    const double total = p.weighted_harmful + p.weighted_benign;
    p.precision = total > 0 ? p.weighted_harmful / total : 0;
    // Wilson at Kish's effective sample size (sum w)^2 / sum w^2: the plain interval when every
    // weight is 1, wider when a few sampled verdicts stand for many decisions.
    const double n_eff = p.weight_squares > 0 ? total * total / p.weight_squares : 0;
    const auto n = static_cast<size_t>(std::llround(n_eff));
    p.interval = WilsonInterval(static_cast<size_t>(std::llround(p.precision * static_cast<double>(n))), n);
    rep.stages.push_back(p);
  }

  // Stratified estimate over the bands that have reviewed samples.
  double covered = 0, share = 0, variance = 0;
  for (const auto& [name, b] : bands) {
    rep.bands.push_back(b);
    if (b.reviewed > 0) covered += static_cast<double>(b.allowed);
  }
  if (covered > 0) {
    for (const SampledBand& b : rep.bands) {
      if (b.reviewed == 0) continue;
      const double w = static_cast<double>(b.allowed) / covered;
      share += w * static_cast<double>(b.harmful) / static_cast<double>(b.reviewed);
      const double adj_n = static_cast<double>(b.reviewed) + 4, adj_p = (static_cast<double>(b.harmful) + 2) / adj_n;
      variance += w * w * adj_p * (1 - adj_p) / adj_n;
    }
    rep.harmful_allowed_share = share;
    const double half = 1.959963984540054 * std::sqrt(variance);
    rep.harmful_allowed_interval = {std::max(0.0, share - half), std::min(1.0, share + half)};
    rep.covered_allowed = static_cast<int64_t>(covered);
  }
  return rep;
}

Result<AuditCalibration> CalibrateAudit(const std::vector<store::DecisionRecord>& records, double budget_per_day,
                                        double requests_per_day, double sample_share) {
  if (records.empty()) return Status::InvalidArgument("no decision records to calibrate on");
  if (!(budget_per_day > 0) || !(requests_per_day > 0)) return Status::InvalidArgument("the budget and the traffic must be positive");
  if (!(sample_share >= 0 && sample_share < 1)) return Status::InvalidArgument("sample_share must be in [0, 1)");
  const double n = static_cast<double>(records.size());
  std::vector<double> risk_of;  // per record, in order, clamped to what a safeguards file can write
  for (const auto& r : records) risk_of.push_back(std::max(-1e9, std::min(1e9, RecordRisk(r.scores_json))));
  std::vector<double> risks = risk_of;
  std::sort(risks.begin(), risks.end(), std::greater<double>());
  // The risk threshold: the k-th highest risk, k the records the risk budget allows among these.
  const double risk_budget = budget_per_day * (1 - sample_share);
  const auto k = static_cast<size_t>(std::floor(risk_budget / requests_per_day * n));
  AuditCalibration c;
  c.records = static_cast<int64_t>(records.size());
  c.spec.enabled = true;
  c.spec.has_seed = false;
  // Above every risk when the budget admits none; never below the lowest risk otherwise.
  c.spec.risk_threshold = k == 0 ? std::nextafter(risks.front(), 1e300) : risks[std::min(k, risks.size()) - 1];
  std::vector<double> below, allowed_below;
  double at_or_above = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const double risk = risk_of[i];
    if (risk >= c.spec.risk_threshold) {
      ++at_or_above;
    } else {
      below.push_back(risk);
      if (Allowed(records[i].action)) allowed_below.push_back(risk);
    }
  }
  c.risk_per_day = at_or_above / n * requests_per_day;
  if (!below.empty() && sample_share > 0) {
    // The near band starts at the risk of the 10% of allowed records nearest the threshold (the
    // misses a safeguard almost caught); decisions below the threshold fall in it too.
    std::vector<double>& ranked = allowed_below.empty() ? below : allowed_below;
    std::sort(ranked.begin(), ranked.end(), std::greater<double>());
    const size_t near = std::max<size_t>(1, ranked.size() / 10);
    const double near_floor = ranked[near - 1], per_band = budget_per_day * sample_share / 2;
    auto rate = [&](size_t count) {
      const double per_day = static_cast<double>(count) / n * requests_per_day;
      return per_day > 0 ? std::min(1.0, per_band / per_day) : 0.0;
    };
    size_t in_near = 0;
    for (double r : below) in_near += r >= near_floor;
    if (near_floor > -1e9) c.spec.sample.push_back({near_floor, rate(in_near)});
    c.spec.sample.push_back({-1e9, rate(below.size() - (near_floor > -1e9 ? in_near : 0))});
    for (const SampleBand& b : c.spec.sample) {
      size_t count = 0;
      for (double r : below) count += BandOf(c.spec, r) == BandName(b.min_risk);
      c.sample_per_day += b.rate * static_cast<double>(count) / n * requests_per_day;
    }
  }
  return c;
}

std::string AuditYaml(const AuditSpec& spec) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "audit:\n  risk_threshold: %.17g\n", spec.risk_threshold);
  std::string y = buf;
  if (!spec.sample.empty()) {
    y += "  sample:\n";
    for (const SampleBand& b : spec.sample) {
      std::snprintf(buf, sizeof buf, "    - {min_risk: %.17g, rate: %.6g}\n", b.min_risk, b.rate);
      y += buf;
    }
  }
  if (spec.has_seed) y += "  seed: " + std::to_string(spec.seed) + "\n";
  return y;
}

Result<std::string> LabelledJsonl(const store::Store& store) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<store::Verdict> verdicts, store.Verdicts());
  std::string out;
  for (const store::Verdict& v : verdicts) {
    if (v.label == "unsure") continue;
    WARDEN_ASSIGN_OR_RETURN(store::DecisionRecord r, store.Record(v.seq));
    if (r.hash_only) continue;  // only hashes were kept: there is no text to learn from
    Json request = Json::parse(r.request_json, nullptr, false);
    Json messages = Json::array();
    if (request.is_object() && request.contains("messages") && request["messages"].is_array()) {
      messages = request["messages"];
    } else {
      messages.push_back({{"role", "user"}, {"content", request.is_object() ? request.value("prompt", r.prompt) : r.prompt}});
    }
    const std::string cluster = !r.user.empty() ? r.user : !r.key_id.empty() ? r.key_id : "review-" + std::to_string(v.seq);
    // One user's rows share a split (a fifth of users, by hash, held out as "test"), so that a
    // probe trained on the export is tested on users it never saw.
    const bool test = static_cast<unsigned char>(Sha256Hex(cluster)[0]) < static_cast<unsigned char>('3');
    const Json row = {{"id", "review-" + std::to_string(v.seq)},
                      {"messages", messages},
                      {"label", v.label == "harmful" ? 1 : 0},
                      {"category", v.category},
                      {"split", test ? "test" : "train"},
                      {"cluster", cluster},
                      {"seq", v.seq},
                      {"reviewer", v.reviewer}};
    out += row.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  }
  return out;
}

}  // namespace warden::guard
