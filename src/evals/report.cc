#include "warden/evals/report.h"

#include <nlohmann/json.hpp>

#include "warden/base/format.h"
#include "warden/base/html.h"
#include "warden/evals/eval_log.h"

namespace warden::evals {
namespace {

using Json = nlohmann::json;

// JSON inside <script>: "</" must not close the element.
std::string ScriptJson(const Json& j) {
  std::string s = j.dump(-1, ' ', true, Json::error_handler_t::replace);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Cut(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n) + " [...]"; }

const char* kScript = R"JS(
const samples = JSON.parse(document.getElementById('samples').textContent);
const body = document.getElementById('rows'), detail = document.getElementById('detail');
function show(filter) {
  body.innerHTML = '';
  samples.forEach((s, i) => {
    if (filter === 'error' && !s.error) return;
    if (filter === 'zero' && (s.error || s.score !== 0)) return;
    if (filter === 'one' && (s.error || s.score !== 1)) return;
    const tr = document.createElement('tr');
    [s.id, s.epoch, s.category, s.error ? 'error' : s.score, s.output].forEach(v => {
      const td = document.createElement('td'); td.textContent = String(v ?? ''); tr.appendChild(td);
    });
    if (s.error) tr.className = 'err';
    tr.onclick = () => {
      detail.textContent = '';
      const add = (k, v) => { const h = document.createElement('h4'); h.textContent = k; detail.appendChild(h);
        const p = document.createElement('pre'); p.textContent = v; detail.appendChild(p); };
      s.input.forEach(m => add(m.role, m.content));
      add('output', s.output); add('target', s.target || ''); add('score', s.error ? 'error: ' + s.error : s.score);
      if (s.explanation) add('explanation', s.explanation);
    };
    body.appendChild(tr);
  });
}
document.getElementById('filter').onchange = e => show(e.target.value);
show('all');
)JS";

}  // namespace

Result<std::string> RenderEvalReport(const std::string& path) {
  Json samples = Json::array();
  Json footer;
  WARDEN_ASSIGN_OR_RETURN(EvalLogScan scan, ScanEvalLog(path, [&](const Json& r) {
    const std::string type = r.value("type", "");
    if (type == "footer") footer = r;
    if (type != "sample") return true;
    Json input = Json::array();
    if (r.contains("input") && r["input"].is_array()) {
      for (const Json& m : r["input"]) {
        if (m.is_object()) input.push_back({{"role", m.value("role", "")}, {"content", Cut(m.value("content", ""), 4000)}});
      }
    }
    Json s = {{"id", r.value("id", "")},         {"epoch", r.value("epoch", 0)},
              {"category", r.value("category", "")}, {"input", input},
              {"output", Cut(r.value("output", ""), 4000)}, {"target", Cut(r.value("target", ""), 400)},
              {"error", r.value("error", "")}};
    if (r.contains("score") && r["score"].is_number()) s["score"] = r["score"];
    if (r.contains("explanation") && r["explanation"].is_string()) s["explanation"] = Cut(r["explanation"], 2000);
    samples.push_back(std::move(s));
    return true;
  }));
  const Json& h = scan.header;
  auto get = [](const Json& j, const char* a, const char* b) -> std::string {
    if (!j.contains(a) || !j[a].is_object() || !j[a].contains(b)) return "";
    const Json& v = j[a][b];
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  std::string html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>warden eval: " +
                     HtmlEscape(h.value("task", "")) + "</title><style>"
                     "body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;width:100%}"
                     "td,th{border:1px solid #ccc;padding:4px;text-align:left;vertical-align:top;max-width:500px;"
                     "overflow:hidden;text-overflow:ellipsis;white-space:nowrap}tr.err{background:#fee}"
                     "tbody tr{cursor:pointer}pre{white-space:pre-wrap;background:#f6f6f6;padding:6px}"
                     "</style></head><body>\n";
  html += "<h1>" + HtmlEscape(h.value("task", "")) + "</h1><p>" + HtmlEscape(h.value("description", "")) + "</p>\n<table>";
  auto row = [&](const std::string& k, const std::string& v) {
    html += "<tr><th>" + HtmlEscape(k) + "</th><td>" + HtmlEscape(v) + "</td></tr>";
  };
  row("model", get(h, "model", "name") + " (" + get(h, "model", "kind") + ", " + get(h, "model", "detail") + ")");
  row("model sha256", get(h, "model", "sha256"));
  row("dataset", get(h, "dataset", "path") + " (" + get(h, "dataset", "rows") + " rows, " + get(h, "dataset", "skipped") +
                     " skipped)");
  row("dataset sha256", get(h, "dataset", "sha256"));
  row("scorer", get(h, "scorer", "name") + " v" + get(h, "scorer", "version"));
  row("solver", h.contains("solver") ? h["solver"].dump() : "");
  row("warden", get(h, "warden", "version") + " @ " + get(h, "warden", "git"));
  row("started", h.value("started", ""));
  if (footer.is_object()) {
    row("finished", footer.value("finished", ""));
    const Json& sum = footer["summary"];
    if (sum.is_object() && sum.contains("metrics") && sum["metrics"].is_object()) {
      for (const auto& [name, m] : sum["metrics"].items()) {
        const std::string buf = StrFormat("%.3f  (95%% CI %.3f to %.3f, stderr %.3f, n=%s)", m.value("value", 0.0),
                                          m.value("ci_low", 0.0), m.value("ci_high", 0.0), m.value("stderr", 0.0),
                                          m.contains("n") ? m["n"].dump().c_str() : "?");
        row(name, buf);
      }
      row("errors", sum.contains("errors") ? sum["errors"].dump() : "");
    }
    if (sum.is_object() && sum.contains("by_category") && sum["by_category"].is_object()) {
      for (const auto& [cat, m] : sum["by_category"].items()) {
        const std::string buf = StrFormat("%.3f (%.3f to %.3f, n=%s)", m.value("value", 0.0), m.value("ci_low", 0.0),
                                          m.value("ci_high", 0.0), m.contains("n") ? m["n"].dump().c_str() : "?");
        row("category " + cat, buf);
      }
    }
  } else {
    row("status", "unfinished (no footer): " + std::to_string(samples.size()) + " samples so far");
  }
  html += "</table>\n<h2>Samples</h2><p>Show <select id=\"filter\"><option value=\"all\">all</option>"
          "<option value=\"one\">score 1</option><option value=\"zero\">score 0</option>"
          "<option value=\"error\">errors</option></select> (click a row)</p>\n"
          "<table><thead><tr><th>id</th><th>epoch</th><th>category</th><th>score</th><th>output</th></tr></thead>"
          "<tbody id=\"rows\"></tbody></table><div id=\"detail\"></div>\n";
  html += "<script type=\"application/json\" id=\"samples\">" + ScriptJson(samples) + "</script>\n<script>" + kScript +
          "</script></body></html>\n";
  return html;
}

}  // namespace warden::evals
