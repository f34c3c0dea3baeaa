// Pictures and exports of a safety case.
//
// SVG: Graphviz's dot layout, in process (libgvc), with GSN shapes: goal = box, strategy =
// parallelogram, solution = circle, context = rounded box, assumption / justification = ellipse
// marked A / J, defeater = red dashed octagon. Fill colour is the node's status (green
// supported, amber undeveloped, red defeated, grey invalid). supported_by edges have solid
// arrowheads, in_context_of edges hollow ones. Each SVG group has id "node_<ID>".
// Graphviz is not thread-safe; calls are serialised internally.
#pragma once

#include <string>

#include "warden/base/status.h"
#include "warden/casebook/evaluate.h"
#include "warden/casebook/safety_case.h"
#include "warden/casebook/signoff.h"

namespace warden::casebook {

// The graph as a standalone SVG document. Fails (Internal) only if Graphviz does.
Result<std::string> RenderCaseSvg(const SafetyCase& c, const CaseEvaluation& e);

// One self-contained HTML page: summary and root status, structural errors and warnings, the
// graph (inline SVG), nodes with statuses and reasons, the evidence table (path, sha256 pinned
// and found, record, selector, condition, value found, status), defeaters, and the signatures
// (valid or not, with reasons) when `signatures` is non-null. All text is HTML-escaped.
std::string RenderCaseHtml(const SafetyCase& c, const CaseEvaluation& e, const SignatureReport* signatures);

// gsn2x input YAML (github.com/jonasthewolf/gsn2x): one map entry per node with text, nodeType,
// supportedBy, inContextOf, undeveloped; with `e`, defeated nodes get `defeated: true`.
// Defeaters become CounterGoals that `challenges` their target (open ones undeveloped). The
// evidence binding is kept in each solution's text.
std::string ExportGsn2x(const SafetyCase& c, const CaseEvaluation* e);

}  // namespace warden::casebook
