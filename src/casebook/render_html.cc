// The case as one self-contained HTML page.
#include <sstream>

#include "warden/base/html.h"
#include "warden/casebook/render.h"

namespace warden::casebook {
namespace {

using Json = nlohmann::json;

std::string Badge(const std::string& text, const std::string& cls) {
  return "<span class=\"badge " + cls + "\">" + HtmlEscape(text) + "</span>";
}

std::string StatusBadge(NodeStatus s) { return Badge(NodeStatusName(s), NodeStatusName(s)); }

std::string Value(const std::optional<Json>& v) {
  if (!v) return "&mdash;";
  std::string s = v->dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return "<code>" + HtmlEscape(s) + "</code>";
}

std::string Sha(const std::string& hex) {
  if (hex.empty()) return "&mdash;";
  return "<code title=\"" + HtmlEscape(hex) + "\">" + HtmlEscape(hex.substr(0, 16)) + "&hellip;</code>";
}

const char* kStyle = R"(
body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.badge{padding:2px 6px;border-radius:4px;font-size:12px;font-weight:bold}
.supported,.ok,.valid{background:#d4edda;color:#155724}
.undeveloped{background:#fff3cd;color:#856404}
.defeated,.bad,.invalid{background:#f8d7da;color:#721c24}
.graph{overflow:auto;border:1px solid #ddd;padding:8px}
ul.errors li{color:#721c24} ul.warnings li{color:#856404}
)";

}  // namespace

std::string RenderCaseHtml(const SafetyCase& c, const CaseEvaluation& e, const SignatureReport* signatures) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" << HtmlEscape(c.info.title)
    << "</title><style>" << kStyle << "</style></head><body>\n";
  h << "<h1>" << HtmlEscape(c.info.title) << "</h1>\n";
  h << "<p>Case <b>" << HtmlEscape(c.info.id) << "</b> version " << HtmlEscape(c.info.version)
    << " &middot; canonical sha256 <code>" << HtmlEscape(e.case_sha256) << "</code></p>\n";
  if (!c.info.description.empty()) h << "<p>" << HtmlEscape(c.info.description) << "</p>\n";
  h << "<p>Structure: " << (e.valid() ? Badge("valid", "valid") : Badge("invalid", "invalid"))
    << " &middot; root goal " << HtmlEscape(e.root_id.empty() ? "(none)" : e.root_id) << ": "
    << StatusBadge(e.root_status);
  if (signatures) {
    h << " &middot; sign-off: " << (signatures->ok() ? Badge("complete and valid", "ok") : Badge("not valid", "bad"));
  }
  h << "</p>\n";
  if (!e.errors.empty()) {
    h << "<h2>Structural errors</h2><ul class=\"errors\">";
    for (const auto& m : e.errors) h << "<li>" << HtmlEscape(m) << "</li>";
    h << "</ul>\n";
  }
  if (!e.warnings.empty()) {
    h << "<h2>Warnings</h2><ul class=\"warnings\">";
    for (const auto& m : e.warnings) h << "<li>" << HtmlEscape(m) << "</li>";
    h << "</ul>\n";
  }

  h << "<h2>Argument</h2>\n<div class=\"graph\">";
  auto svg = RenderCaseSvg(c, e);
  if (svg.ok()) {
    const size_t at = svg->find("<svg");
    h << (at == std::string::npos ? *svg : svg->substr(at));
  } else {
    h << "<p class=\"bad\">" << HtmlEscape(svg.status().ToString()) << "</p>";
  }
  h << "</div>\n";

  h << "<h2>Nodes</h2>\n<table><tr><th>id</th><th>type</th><th>text</th><th>status</th><th>reasons</th></tr>\n";
  for (const Node& n : c.nodes) {
    const NodeEvaluation* ne = e.FindNode(n.id);
    h << "<tr id=\"row-" << HtmlEscape(n.id) << "\"><td>" << HtmlEscape(n.id) << "</td><td>" << NodeTypeName(n.type)
      << "</td><td>" << HtmlEscape(n.text) << "</td><td>" << (ne ? StatusBadge(ne->status) : "") << "</td><td>";
    if (ne) {
      for (const auto& r : ne->reasons) h << HtmlEscape(r) << "<br>";
    }
    h << "</td></tr>\n";
  }
  h << "</table>\n";

  h << "<h2>Evidence</h2>\n<table><tr><th>node</th><th>path</th><th>sha256 pinned</th><th>sha256 found</th>"
       "<th>record</th><th>selector</th><th>condition</th><th>value found</th><th>status</th></tr>\n";
  for (const EvidenceCheck& ev : e.evidence) {
    h << "<tr><td>" << HtmlEscape(ev.node_id) << "</td><td><code>" << HtmlEscape(ev.evidence.path) << "</code></td><td>"
      << Sha(ev.evidence.sha256) << "</td><td>" << Sha(ev.actual_sha256) << "</td><td>"
      << RecordKindName(ev.evidence.record) << "</td><td><code>" << HtmlEscape(ev.evidence.selector)
      << "</code></td><td><code>" << HtmlEscape(ev.evidence.condition.ToString()) << "</code></td><td>" << Value(ev.value)
      << "</td><td>" << Badge(EvidenceStateName(ev.state), ev.ok() ? "ok" : "bad");
    if (!ev.reason.empty()) h << "<br>" << HtmlEscape(ev.reason);
    h << "</td></tr>\n";
  }
  h << "</table>\n";

  if (!c.defeaters.empty()) {
    h << "<h2>Defeaters</h2>\n<table><tr><th>id</th><th>against</th><th>text</th><th>declared</th><th>effect</th></tr>\n";
    for (const Defeater& d : c.defeaters) {
      const DefeaterEvaluation* de = nullptr;
      for (const auto& x : e.defeaters) {
        if (x.id == d.id) de = &x;
      }
      h << "<tr><td>" << HtmlEscape(d.id) << "</td><td>" << HtmlEscape(d.against) << "</td><td>" << HtmlEscape(d.text)
        << "</td><td>" << DefeaterStatusName(d.status) << "</td><td>";
      if (de) h << Badge(de->effective ? "defeats its target" : "rebutted", de->effective ? "bad" : "ok") << " "
                << HtmlEscape(de->reason);
      h << "</td></tr>\n";
    }
    h << "</table>\n";
  }

  if (signatures) {
    h << "<h2>Sign-off</h2>\n<table><tr><th>role</th><th>signer</th><th>public key</th><th>time</th><th>status</th></tr>\n";
    for (const SignatureCheck& s : signatures->signatures) {
      h << "<tr><td>" << HtmlEscape(s.entry.role) << "</td><td>" << HtmlEscape(s.entry.signer) << "</td><td>"
        << Sha(s.entry.public_key) << "</td><td>" << HtmlEscape(s.entry.time) << "</td><td>"
        << (s.valid ? Badge("valid", "ok") : Badge("invalid", "bad"));
      if (!s.reason.empty()) h << "<br>" << HtmlEscape(s.reason);
      h << "</td></tr>\n";
    }
    h << "</table>\n";
    if (!signatures->problems.empty()) {
      h << "<ul class=\"errors\">";
      for (const auto& p : signatures->problems) h << "<li>" << HtmlEscape(p) << "</li>";
      h << "</ul>\n";
    }
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace warden::casebook
