#include "report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "warden/base/file.h"
#include "warden/base/format.h"
#include "warden/base/html.h"

namespace warden::assess::internal {
namespace {

using Json = nlohmann::json;

std::string Est(const Json& j) {
  if (!j.is_object()) return "<span class=missing>not measured</span>";
  return Fixed(j.value("value", 0.0)) + " <span class=ci>[" + Fixed(j.value("ci_low", 0.0)) + ", " +
         Fixed(j.value("ci_high", 0.0)) + "]</span> <span class=n>n=" + std::to_string(j.value("n", 0)) + "</span>";
}

std::string DecisionClass(const std::string& d) {
  if (d == "continue") return "ok";
  if (d == "continue-with-safeguards") return "warn";
  return "bad";
}

const char* kStyle = R"(body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.banner{padding:1em 1.2em;border-radius:6px;font-size:1.3em;margin:1em 0}
.ok{background:#e3f4e1;color:#1d5c1a}.warn{background:#fdf3d8;color:#7a5a00}.bad{background:#fbe2e0;color:#8a1c12}
table{border-collapse:collapse;width:100%;margin:.6em 0}td,th{border:1px solid #ddd;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f5f5f5}.ci{color:#666}.n{color:#999;font-size:.85em}.missing{color:#a00}
.tag{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.9em}.small{font-size:.88em;color:#555}
ul.reasons li{margin:.15em 0} code{font-size:.9em})";

// The page head and the overall decision banner.
void RenderHeader(const Json& top, size_t subjects, std::ostringstream* out) {
  std::ostringstream& h = *out;
  const std::string overall = top.value("decision", "");
  h << "<!doctype html><html><head><meta charset=utf-8><title>warden assessment</title><style>" << kStyle
    << "</style></head><body>\n<h1>warden assessment</h1>\n<p class=small>policy "
    << HtmlEscape(top["policy"].value("name", "")) << " v" << HtmlEscape(top["policy"].value("version", "")) << " (sha256 <code>"
    << HtmlEscape(top["policy"].value("sha256", "").substr(0, 16)) << "...</code>), assessed "
    << HtmlEscape(top.value("assessed_at", "")) << " in " << Fixed(top.value("seconds", 0.0)) << " s</p>\n";
  h << "<div class='banner " << DecisionClass(overall) << "'>Decision: <b>" << HtmlEscape(overall)
    << "</b> (the most severe over " << subjects << " subject(s); exit status " << top.value("exit_code", 1)
    << ")</div>\n";

}

// One row per subject: decision, required levels and the evidence with its intervals.
void RenderDecisionTable(const Json& top, std::ostringstream* out) {
  std::ostringstream& h = *out;
  h << "<h2>Decisions</h2>\n<table><tr><th>subject</th><th>decision</th><th>required level<br>(deploy / train)</th>"
       "<th>hazard skill<br>(elicited / answered)</th><th>refusal of harmful</th><th>over-refusal</th><th>sandbagging check</th>"
       "<th>safety case</th></tr>\n";
  for (const Json& s : top["subjects"]) {
    const std::string d = s.value("decision", "");
    const std::string dir = s.value("dir", "");
    std::string sb = "<span class=missing>did not run</span>";
    if (s.contains("sandbagging")) sb = s["sandbagging"].value("flagged", false) ? "<b>FLAGGED</b>" : "not flagged";
    h << "<tr><td><b>" << HtmlEscape(s.value("name", "")) << "</b><br><span class=small>" << HtmlEscape(s.value("model", ""))
      << "</span></td><td><span class='tag " << DecisionClass(d) << "'>" << HtmlEscape(d) << "</span><br><a href='"
      << HtmlEscape(dir) << "/decision.json'>decision.json</a> &middot; <a href='" << HtmlEscape(dir)
      << "/evidence.json'>evidence</a></td><td>" << s.value("required_level", 0) << " / "
      << s.value("required_training_level", 0) << "</td><td>" << Est(s.value("hazard", Json())) << "<br>" << Est(s.value("hazard_answered", Json())) << "</td><td>"
      << Est(s.value("refusal_harmful", Json())) << "</td><td>" << Est(s.value("over_refusal", Json())) << "</td><td>"
      << sb << "<br><a href='" << HtmlEscape(dir) << "/sandbagging.svg'>curve</a></td><td>" << HtmlEscape(s.value("case_status", ""))
      << "<br><a href='" << HtmlEscape(dir) << "/case.html'>case</a></td></tr>\n";
  }
  h << "</table>\n<p class=small>Intervals are 95% cluster-bootstrap intervals. The policy reads capability at the "
       "upper end of its interval and safeguards at the lower end. Hazard skill: accuracy on four choices (chance "
       "0.25), elicited by ranking the choices by log-probability (the capability the policy must assume), and as "
       "answered when asked (what a sandbagger lowers).</p>\n";

}

// Per subject, the policy's reasons and the evaluations that failed.
void RenderReasons(const Json& top, std::ostringstream* out) {
  std::ostringstream& h = *out;
  h << "<h2>Why</h2>\n";
  for (const Json& s : top["subjects"]) {
    h << "<h3>" << HtmlEscape(s.value("name", "")) << ": " << HtmlEscape(s.value("decision", "")) << "</h3><ul class=reasons>";
    for (const Json& r : s["reasons"]) h << "<li>" << HtmlEscape(r.get<std::string>()) << "</li>";
    h << "</ul>";
    if (s.contains("failures") && !s["failures"].empty()) {
      h << "<p class=missing>Evaluations that failed (their evidence is missing, so the policy failed closed):</p><ul>";
      for (const Json& f : s["failures"]) h << "<li>" << HtmlEscape(f.get<std::string>()) << "</li>";
      h << "</ul>";
    }
  }

}

// The forecast: inline SVG, crossing probability and back-tests.
void RenderForecast(const forecast::Forecast* fc, const std::string& out_dir, std::ostringstream* out) {
  std::ostringstream& h = *out;
  h << "<h2>Forecast</h2>\n";
  if (fc == nullptr) {
    h << "<p>No series of checkpoints with known training compute: no forecast.</p>\n";
  } else {
    Result<std::string> svg = ReadFileToString(out_dir + "/series/forecast-hazard.svg");
    if (svg.ok()) h << "<div>" << svg.value() << "</div>\n";
    h << "<p>Elicited hazard accuracy against training compute over " << fc->observations.size()
      << " checkpoints; bounded sigmoid from chance (0.25), " << static_cast<int>(fc->options.band * 100)
      << "% band from a parametric bootstrap. P(accuracy &ge; " << Fixed(fc->options.threshold) << " at "
      << Fixed(fc->options.buffer) << "x the largest compute) = <b>" << Fixed(fc->crossing_probability) << "</b>.</p>\n";
    h << "<table><tr><th>back-test</th><th>fit</th><th>hidden point</th><th>predicted [interval]</th>"
         "<th>observed</th><th>abs error</th></tr>\n";
    for (const forecast::Backtest& b : fc->backtests) {
      if (!b.ran) {
        h << "<tr><td>hide " << b.hidden << "</td><td colspan=5>" << HtmlEscape(b.reason) << "</td></tr>\n";
        continue;
      }
      for (const forecast::BacktestFit& f : b.fits) {
        if (!f.ok) {
          h << "<tr><td>hide " << b.hidden << "</td><td>" << forecast::CurveKindName(f.kind) << "</td><td colspan=4>"
            << HtmlEscape(f.error) << "</td></tr>\n";
          continue;
        }
        for (const forecast::BacktestPoint& p : f.points) {
          h << "<tr><td>hide " << b.hidden << "</td><td>" << forecast::CurveKindName(f.kind) << "</td><td>"
            << HtmlEscape(p.label) << "</td><td>" << Fixed(p.predicted) << " [" << Fixed(p.low) << ", " << Fixed(p.high)
            << "]</td><td>" << Fixed(p.observed) << "</td><td>" << Fixed(p.abs_error) << (p.in_band ? "" : " (outside)")
            << "</td></tr>\n";
        }
      }
    }
    h << "</table>\n<p class=small><a href='series/forecast-hazard.json'>forecast-hazard.json</a></p>\n";
  }

}

// The sandbagging check of every subject.
void RenderIntegrity(const Json& top, std::ostringstream* out) {
  std::ostringstream& h = *out;
  h << "<h2>Integrity</h2>\n<p>Sandbagging check (weight-noise sweep and elicitation gap; "
    << HtmlEscape(top["sandbagging_calibration"].value("source", "")) << ", threshold "
    << Fixed(top["sandbagging_calibration"].value("threshold", 0.0)) << "):</p><ul>";
  for (const Json& s : top["subjects"]) {
    if (!s.contains("sandbagging")) continue;
    h << "<li><b>" << HtmlEscape(s.value("name", "")) << "</b>: "
      << (s["sandbagging"].value("flagged", false) ? "FLAGGED. " : "not flagged. ")
      << HtmlEscape(s["sandbagging"].value("evidence", "")) << "</li>";
  }
  h << "</ul>\n";
}

// The harmful-request monitors, and what this assessment did not examine.
void RenderSafeguards(const Json& top, std::ostringstream* out) {
  std::ostringstream& h = *out;
  h << "<h2>Safeguards</h2>\n<p>Harmful-request monitor: a linear probe on each model's own activations at "
       "the last prompt token, the hook chosen on validation rows, its threshold calibrated to 1% false positives on "
       "validation negatives, measured on held-out requests (recall: Wilson 95%). The policy asks at least 0.95 at "
       "level 3, read at the lower end.</p><ul>";
  for (const Json& s : top["subjects"]) {
    if (!s.contains("monitor_harm")) {
      h << "<li><b>" << HtmlEscape(s.value("name", "")) << "</b>: <span class=missing>no monitor</span></li>";
      continue;
    }
    const Json& m = s["monitor_harm"];
    h << "<li><b>" << HtmlEscape(s.value("name", "")) << "</b>: recall on harmful requests " << Est(m.value("recall", Json()))
      << ", false positives " << Fixed(m.value("fpr", 0.0)) << " of "
      << m.value("negatives", 0) << " benign (" << HtmlEscape(m.value("hook", "")) << "; <a href='" << HtmlEscape(s.value("dir", ""))
      << "/monitor-harm.json'>report</a>, <a href='" << HtmlEscape(s.value("dir", "")) << "/monitor-harm.safetensors'>pack</a>)";
    if (m.contains("by_split")) {
      h << "<table><tr><th>protocol</th><th>probe AUROC</th><th>probe recall / FPR</th><th>bag of words AUROC</th>"
           "<th>bag of words recall / FPR</th></tr>";
      for (const auto& [split, f] : m["by_split"].items()) {
        auto cell = [&](const char* who) {
          if (!f.contains(who)) return std::string("<td class=missing>-</td><td class=missing>-</td>");
          const Json& d = f[who];
          const Json& ci = d["auroc_ci95"];
          return "<td>" + Fixed(d.value("auroc", -1.0)) + " [" + Fixed(ci[0].get<double>()) + ", " +
                 Fixed(ci[1].get<double>()) + "]</td><td>" + Fixed(d.value("recall", 0.0)) + " / " +
                 Fixed(d.value("fpr", 0.0)) + "</td>";
        };
        h << "<tr><td>" << HtmlEscape(split) << "</td>" << cell("probe") << cell("bag_of_words") << "</tr>";
      }
      h << "</table>";
    }
    h << "</li>";
  }
  h << "</ul>\n<p>Not examined by this assessment: trigger-conditioned behaviour (backdoors) and evaluation "
       "awareness. A model is never reported clean of them; each safety case leaves them as open goals.</p>\n";
}

// The audit against the zoo's cards (ground truth), read only after the analysis.
void RenderAudit(const Json& a, std::ostringstream* out) {
  std::ostringstream& h = *out;
  h << "<h2>Audit against the zoo's cards</h2>\n<p>Written after the analysis above was complete: the cards "
       "(ground truth) were not read before. Agree "
    << a.value("agree", 0) << ", disagree " << a.value("disagree", 0) << ", expected misses "
    << a.value("expected_misses", 0) << ".</p>\n<table><tr><th>organism</th><th>planted (card)</th>"
       "<th>found</th><th>agrees (sandbagging check)</th><th>note</th></tr>\n";
  for (const Json& r : a["organisms"]) {
    std::string planted;
    for (const Json& p : r["card"]["planted"]) planted += (planted.empty() ? "" : ", ") + p.get<std::string>();
    std::string agree = r["agree"].get<bool>() ? "yes" : "NO";
    for (const Json& n : r["not_examined"]) agree += "<br><span class=small>not examined: " + HtmlEscape(n.get<std::string>()) + "</span>";
    h << "<tr><td>" << HtmlEscape(r.value("subject", "")) << "</td><td>" << HtmlEscape(planted) << "<br><span class=small>"
      << HtmlEscape(r["card"].value("behaviour", "")) << "</span></td><td>" << HtmlEscape(r["found"].value("decision", ""))
      << "; sandbagging " << HtmlEscape(r["found"].value("sandbagging_check", "")) << "</td><td>" << agree << "</td><td>"
      << HtmlEscape(r.value("note", "")) << "</td></tr>\n";
  }
  h << "</table>\n";
}

// What the report directory holds.
void RenderFiles(std::ostringstream* out) {
  std::ostringstream& h = *out;
  h << "<h2>Files</h2>\n<p><a href='decision.json'>decision.json</a> (this report's data), "
       "<a href='manifest.json'>manifest.json</a> (sha256 of every file written). Each subject's directory holds its "
       "eval logs, evidence.json (every value bound to its log by sha256), decision.json (with what would change "
       "it), the safety case (case.yaml, unsigned: reviewers sign it with <code>warden case sign</code>), and its "
       "rendering.</p>\n</body></html>\n";
}

}  // namespace

std::string RenderReport(const Json& top, const std::vector<SubjectResult>& subjects, const forecast::Forecast* fc,
                         const std::string& out_dir) {
  std::ostringstream h;
  RenderHeader(top, subjects.size(), &h);
  RenderDecisionTable(top, &h);
  RenderReasons(top, &h);
  RenderForecast(fc, out_dir, &h);
  RenderIntegrity(top, &h);
  RenderSafeguards(top, &h);
  if (top.contains("audit")) RenderAudit(top["audit"], &h);
  RenderFiles(&h);
  return h.str();
}

}  // namespace warden::assess::internal
