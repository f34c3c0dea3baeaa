// The reviewer's pages (review_pages.h).
#include "gateway/review_pages.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "warden/base/html.h"

namespace warden::gateway {
namespace {

using Json = nlohmann::json;

std::string E(std::string_view s) { return HtmlEscape(s); }

std::string Num(double v, const char* fmt = "%.3f") {
  if (std::isinf(v) || std::fabs(v) >= 1e299) return v > 0 ? "+inf" : "-inf";
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

constexpr const char* kStyle = R"(
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b2a41;color:#fff;padding:10px 24px;display:flex;gap:18px;align-items:center}
header a{color:#cfe0ff;text-decoration:none}header .who{margin-left:auto}
main{padding:18px 24px;max-width:1100px}
table{border-collapse:collapse;background:#fff;width:100%}td,th{border:1px solid #d8dde3;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}.muted{color:#667}.box{background:#fff;border:1px solid #d8dde3;padding:12px 14px;margin:12px 0}
.tok{border-radius:3px;white-space:pre-wrap}.prompt{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px}
.err{color:#a00}.ok{color:#060}button{font-size:15px;padding:5px 14px}
)";

std::string Layout(const Viewer& v, const std::string& title, const std::string& body) {
  std::string h = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + E(title) +
                  " - warden review</title><style>" + kStyle + "</style></head><body><header><strong>warden review</strong>";
  if (!v.reviewer.empty()) {
    h += "<a href=\"/review\">Queue</a><a href=\"/review/stats\">Figures</a><a href=\"/review/export.jsonl\">Export JSONL</a>";
    h += "<span class=\"who\">" + E(v.reviewer) +
         " <form method=\"post\" action=\"/review/logout\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"" +
         E(v.csrf) + "\"><button>Log out</button></form></span>";
  }
  return h + "</header><main><h1>" + E(title) + "</h1>" + body + "</main></body></html>";
}

// A colour from white (the response's lowest score) to red (the threshold or above): probe
// scores are logits, often several units below the threshold, so the scale is the response's
// own range, and the shading shows where the monitor's score rises.
std::string Shade(double score, double lowest, double threshold) {
  double heat = score >= threshold ? 1.0 : threshold > lowest ? (score - lowest) / (threshold - lowest) : 0.0;
  heat = std::max(0.0, std::min(1.0, heat));
  heat *= heat;  // keep low scores pale
  const int g = static_cast<int>(255 - 175 * heat), b = static_cast<int>(255 - 195 * heat);
  char c[32];
  std::snprintf(c, sizeof c, "rgb(255,%d,%d)", g, b);
  return c;
}

std::string Excerpt(const std::string& s, size_t n = 140) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

}  // namespace

std::string LoginPage(const std::string& message) {
  std::string body;
  if (!message.empty()) body += "<p class=\"err\" id=\"message\">" + E(message) + "</p>";
  body += "<form method=\"post\" action=\"/review/login\" class=\"box\">"
          "<p><label>Reviewer <input name=\"name\" id=\"name\" autocomplete=\"username\" required></label></p>"
          "<p><label>Password <input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>"
          "<button id=\"login\">Log in</button></form>";
  return Layout({}, "Log in", body);
}

std::string QueuePage(const Viewer& v, const std::vector<store::AuditItem>& open,
                      const std::vector<store::DecisionRecord>& records, int64_t reviewed) {
  std::string body = "<p id=\"counts\"><span id=\"open-count\">" + std::to_string(open.size()) +
                     "</span> open, " + std::to_string(reviewed) + " reviewed. Highest risk first.</p>";
  if (open.empty()) return Layout(v, "Audit queue", body + "<p>Nothing to review.</p>");
  body += "<table id=\"queue\"><tr><th>#</th><th>risk</th><th>why queued</th><th>decision</th><th>request</th><th>time</th></tr>";
  for (size_t i = 0; i < open.size(); ++i) {
    const store::AuditItem& it = open[i];
    const store::DecisionRecord& r = records[i];
    const std::string why = it.reason == "sample" ? "sample (" + E(it.stratum) + ", p=" + Num(it.inclusion, "%g") + ")"
                            : it.reason == "user" ? "user at elevated risk"
                                                  : "risk";
    const std::string decision = E(r.action) + (r.monitor.empty() ? "" : " by " + E(r.stage) + ":" + E(r.monitor));
    body += "<tr class=\"item\"><td><a href=\"/review/item/" + std::to_string(it.seq) + "\">" + std::to_string(it.seq) +
            "</a></td><td>" + Num(it.priority) + "</td><td>" + why + "</td><td>" + decision + "</td><td>" +
            E(r.hash_only ? "(hash only)" : Excerpt(r.prompt)) + "</td><td class=\"muted\">" + E(r.time) + "</td></tr>";
  }
  return Layout(v, "Audit queue", body + "</table>");
}

std::string ItemPage(const Viewer& v, const store::AuditItem& item, const store::DecisionRecord& r,
                     const std::optional<store::Verdict>& verdict, const std::string& message) {
  const Json scores = Json::parse(r.scores_json, nullptr, false);
  std::string body;
  if (!message.empty()) body += "<p class=\"err\" id=\"message\">" + E(message) + "</p>";
  body += "<div class=\"box\"><p><b>Decision:</b> <span id=\"action\">" + E(r.action) + "</span>" +
          (r.monitor.empty() ? "" : " by <b>" + E(r.stage) + ":" + E(r.monitor) + "</b>") +
          (r.cut_token >= 0 ? " at generated token " + std::to_string(r.cut_token) : "") + ". <b>Queued for:</b> " +
          (item.reason == "sample" ? "a random sample of allowed traffic (" + E(item.stratum) + ", probability " + Num(item.inclusion, "%g") + ")"
           : item.reason == "user" ? "its user is at elevated risk across their requests (risk " + Num(item.priority) + ")"
                                   : "risk " + Num(item.priority)) +
          ". <span class=\"muted\">Record " + std::to_string(r.seq) + ", " + E(r.time) + ", user " + E(!r.user.empty() ? r.user : !r.key_id.empty() ? r.key_id : "-") +
          ", model " + E(r.model) + "</span></p></div>";
  body += "<h2>Request</h2><div class=\"box prompt\" id=\"prompt\">" + E(r.hash_only ? "(hash-only store: sha256 " + r.prompt + ")" : r.prompt) + "</div>";

  // The cascade's reasons: every safeguard's score against its threshold.
  body += "<h2>Safeguards</h2><table id=\"scores\"><tr><th>stage</th><th>safeguard</th><th>score</th><th>threshold</th><th>note</th></tr>";
  std::vector<std::pair<std::string, Json>> per_token;  // output probes with a score per token
  if (scores.is_object()) {
    for (const char* stage : {"input", "output"}) {
      if (!scores.contains(stage) || !scores[stage].is_object()) continue;
      for (const auto& [name, e] : scores[stage].items()) {
        const Json score = e.contains("score") ? e["score"] : e.contains("max") ? e["max"] : Json(nullptr);
        std::string note = e.contains("error") ? "error: " + e["error"].get<std::string>()
                           : e.value("fired", false) || e.contains("fired_at") ? "fired" : "";
        if (e.contains("escalated")) {  // the cascade's guard model: why it was asked, what it named
          const std::string cheap = e.contains("cheap_risk") && e["cheap_risk"].is_number() ? Num(e["cheap_risk"].get<double>()) : "none";
          const std::string at = e.contains("escalate_at") && e["escalate_at"].is_number() ? Num(e["escalate_at"].get<double>()) : "?";
          const std::string why = e.value("escalated", false) ? "escalated: cheap risk " + cheap + " >= " + at
                                                               : "not escalated: cheap risk " + cheap + " < " + at;
          note = why + (note.empty() ? "" : "; " + note) + (e.contains("category") && e["category"].is_string() ? " " + e["category"].get<std::string>() : "");
        }
        body += "<tr><td>" + std::string(stage) + "</td><td>" + E(name) + "</td><td>" +
                (score.is_number() ? Num(score.get<double>()) : "-") + (e.contains("max") ? " (max)" : "") + "</td><td>" +
                (e.contains("threshold") && e["threshold"].is_number() ? Num(e["threshold"].get<double>()) : "-") + "</td><td>" + E(note) + "</td></tr>";
        if (e.contains("per_token") && e["per_token"].is_array() && e.contains("threshold")) per_token.push_back({name, e});
      }
    }
    if (scores.contains("error")) body += "<tr><td colspan=\"5\" class=\"err\">" + E(scores["error"].dump()) + "</td></tr>";
  }
  body += "</table>";

  // The response, each released token shaded by each output probe's score where it was read.
  body += "<h2>Response</h2>";
  const Json tokens = scores.is_object() && scores.contains("tokens") ? scores["tokens"] : Json::array();
  if (per_token.empty() || !tokens.is_array() || tokens.empty()) {
    body += "<div class=\"box prompt\" id=\"response\">" + E(r.response) + "</div>";
  }
  for (const auto& [name, e] : per_token) {
    if (!tokens.is_array() || tokens.empty()) break;
    const double threshold = e["threshold"].get<double>();
    double lowest = threshold;
    for (const Json& x : e["per_token"]) {
      if (x.is_number()) lowest = std::min(lowest, x.get<double>());
    }
    body += "<p class=\"muted\">" + E(name) + ": each token shaded by its score, from white at this response's lowest (" +
            Num(lowest) + ") to red at the threshold (" + Num(threshold) + "); hover for the number.</p>"
            "<div class=\"box prompt\" id=\"response\">";
    for (size_t k = 0; k < tokens.size(); ++k) {
      const std::string text = tokens[k].is_string() ? tokens[k].get<std::string>() : "";
      const bool scored = k < e["per_token"].size() && e["per_token"][k].is_number();
      const double s = scored ? e["per_token"][k].get<double>() : 0;
      body += "<span class=\"tok\" title=\"" + (scored ? Num(s) : std::string("no score")) + "\" style=\"background:" +
              (scored ? Shade(s, lowest, threshold) : "#eee") + "\">" + E(text) + "</span>";
    }
    body += "</div>";
  }

  if (verdict) {
    body += "<div class=\"box ok\" id=\"verdict\">Reviewed by " + E(verdict->reviewer) + ": <b>" + E(verdict->label) + "</b>" +
            (verdict->category.empty() ? "" : " (" + E(verdict->category) + ")") +
            (verdict->note.empty() ? "" : ": " + E(verdict->note)) + "</div>";
    return Layout(v, "Record " + std::to_string(r.seq), body);
  }
  body += "<h2>Verdict</h2><form method=\"post\" action=\"/review/item/" + std::to_string(r.seq) +
          "/verdict\" class=\"box\"><input type=\"hidden\" name=\"csrf\" value=\"" + E(v.csrf) + "\"><p>";
  for (const char* label : {"harmful", "benign", "unsure"}) {
    body += "<label><input type=\"radio\" name=\"label\" value=\"" + std::string(label) + "\" id=\"label-" + label +
            "\" required> " + label + "</label> ";
  }
  body += "</p><p><label>Category (harmful only) <select name=\"category\" id=\"category\"><option value=\"\">-</option>";
  for (int c = 1; c <= 14; ++c) body += "<option>S" + std::to_string(c) + "</option>";
  body += "</select></label></p><p><label>Note<br><textarea name=\"note\" id=\"note\" rows=\"3\" cols=\"70\"></textarea></label></p>"
          "<button id=\"submit\">Submit verdict</button></form>";
  return Layout(v, "Record " + std::to_string(r.seq), body);
}

std::string StatsPage(const Viewer& v, const guard::ReviewReport& rep, const guard::AuditSpec& spec) {
  std::string body = "<p>" + std::to_string(rep.records) + " decision records; " + std::to_string(rep.queued) +
                     " queued (" + std::to_string(rep.open) + " open, " + std::to_string(rep.reviewed) +
                     " reviewed). Risk threshold " + Num(spec.risk_threshold) + ".</p>";
  body += "<h2>Precision of each stage</h2><p class=\"muted\">Of the requests a stage blocked or cut and a reviewer judged: "
          "the share judged harmful (Wilson 95%). Unsure verdicts are counted, not used.</p>";
  body += "<table id=\"precision\"><tr><th>stage</th><th>harmful</th><th>benign</th><th>unsure</th><th>precision</th><th>95% interval</th></tr>";
  for (const guard::StagePrecision& p : rep.stages) {
    const bool any = p.harmful + p.benign > 0;
    body += "<tr><td>" + E(p.stage) + "</td><td>" + std::to_string(p.harmful) + "</td><td>" + std::to_string(p.benign) +
            "</td><td>" + std::to_string(p.unsure) + "</td><td>" + (any ? Num(p.precision) : "-") + "</td><td>" +
            (any ? "[" + Num(p.interval.low) + ", " + Num(p.interval.high) + "]" : "-") + "</td></tr>";
  }
  body += "</table><h2>What the safeguards let through</h2><p class=\"muted\">Allowed traffic below the risk threshold, "
          "sampled by risk band; the harmful share is a stratified estimate over the bands with reviews.</p>";
  body += "<table id=\"bands\"><tr><th>band</th><th>rate</th><th>allowed records</th><th>reviewed</th><th>harmful</th><th>unsure</th></tr>";
  for (const guard::SampledBand& b : rep.bands) {
    body += "<tr><td>" + E(b.band) + "</td><td>" + Num(b.rate, "%g") + "</td><td>" + std::to_string(b.allowed) + "</td><td>" +
            std::to_string(b.reviewed) + "</td><td>" + std::to_string(b.harmful) + "</td><td>" + std::to_string(b.unsure) + "</td></tr>";
  }
  body += "</table>";
  if (rep.harmful_allowed_share) {
    body += "<p id=\"estimate\">Harmful share of allowed traffic: <b>" + Num(*rep.harmful_allowed_share) + "</b> [" +
            Num(rep.harmful_allowed_interval.low) + ", " + Num(rep.harmful_allowed_interval.high) + "] over " +
            std::to_string(rep.covered_allowed) + " allowed records.</p>";
  } else {
    body += "<p id=\"estimate\">No sampled item has a verdict yet: nothing can be estimated.</p>";
  }
  if (rep.allowed_unsampled > 0) {
    body += "<p class=\"err\">" + std::to_string(rep.allowed_unsampled) + " allowed records fall below every band: never sampled, so not covered.</p>";
  }
  return Layout(v, "Figures", body);
}

std::string MessagePage(const Viewer& v, const std::string& title, const std::string& message) {
  return Layout(v, title, "<p class=\"err\" id=\"message\">" + E(message) + "</p><p><a href=\"/review\">Back to the queue</a></p>");
}

}  // namespace warden::gateway
