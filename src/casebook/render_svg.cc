// The case graph as SVG through Graphviz's library (libgvc, cgraph), dot layout, in process.
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <map>
#include <mutex>

#include "warden/casebook/render.h"

namespace warden::casebook {
namespace {

// Graphviz keeps global state; one rendering at a time.
std::mutex& GraphvizMutex() {
  static std::mutex m;
  return m;
}

const char* FillColour(NodeStatus s) {
  switch (s) {
    case NodeStatus::kSupported: return "#d4edda";
    case NodeStatus::kUndeveloped: return "#fff3cd";
    case NodeStatus::kDefeated: return "#f8d7da";
    case NodeStatus::kInvalid: return "#d6d8db";
  }
  return "white";
}

// Graphviz label strings treat backslash sequences (\n, \N, \G ...) specially: escape every
// backslash, then break lines with "\n" ourselves.
std::string LabelText(const std::string& id, const std::string& text, size_t width = 28) {
  std::string out = id + "\\n";
  size_t col = 0;
  std::string word;
  auto flush_word = [&]() {
    if (word.empty()) return;
    if (col > 0 && col + 1 + word.size() > width) {
      out += "\\n";
      col = 0;
    } else if (col > 0) {
      out += ' ';
      ++col;
    }
    for (char ch : word) out += ch == '\\' ? std::string("\\\\") : std::string(1, ch);
    col += word.size();
    word.clear();
  };
  for (char ch : text) {
    if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
      flush_word();
    } else {
      word += ch;
    }
  }
  flush_word();
  return out;
}

std::string EscapeBackslashes(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == '\\' ? std::string("\\\\") : std::string(1, ch);
  return out;
}

void Set(void* obj, const char* name, const std::string& value) {
  agsafeset(obj, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

struct GvcDeleter {
  void operator()(GVC_t* g) const { gvFreeContext(g); }
};

}  // namespace

Result<std::string> RenderCaseSvg(const SafetyCase& c, const CaseEvaluation& e) {
  std::lock_guard<std::mutex> lock(GraphvizMutex());
  agseterr(AGERR);  // warnings to nowhere; errors still reported
  std::unique_ptr<GVC_t, GvcDeleter> gvc(gvContext());
  if (!gvc) return Status::Internal("graphviz: cannot create a context");
  Agraph_t* g = agopen(const_cast<char*>("case"), Agdirected, nullptr);
  if (g == nullptr) return Status::Internal("graphviz: cannot create a graph");
  Set(g, "rankdir", "TB");
  Set(g, "nodesep", "0.3");
  Set(g, "label", EscapeBackslashes(c.info.title + " (" + c.info.id + " v" + c.info.version + ")"));
  Set(g, "labelloc", "t");
  Set(g, "fontname", "Helvetica");

  std::map<std::string, Agnode_t*> made;
  auto node = [&](const std::string& id) -> Agnode_t* {
    auto it = made.find(id);
    if (it != made.end()) return it->second;
    Agnode_t* n = agnode(g, const_cast<char*>(id.c_str()), 1);
    made[id] = n;
    return n;
  };
  for (const Node& n : c.nodes) {
    if (made.count(n.id)) continue;  // a duplicate id (already flagged invalid)
    Agnode_t* gn = node(n.id);
    const NodeEvaluation* ne = e.FindNode(n.id);
    const NodeStatus status = ne ? ne->status : NodeStatus::kInvalid;
    std::string shape = "box", style = "filled", label = LabelText(n.id, n.text);
    switch (n.type) {
      case NodeType::kGoal: break;
      case NodeType::kStrategy: shape = "parallelogram"; break;
      case NodeType::kSolution: shape = "circle"; break;
      case NodeType::kContext: style = "filled,rounded"; break;
      case NodeType::kAssumption: shape = "ellipse"; Set(gn, "xlabel", "A"); break;
      case NodeType::kJustification: shape = "ellipse"; Set(gn, "xlabel", "J"); break;
    }
    if (n.undeveloped) label += "\\n\xe2\x97\x87";  // GSN's undeveloped diamond
    Set(gn, "shape", shape);
    Set(gn, "style", style);
    Set(gn, "label", label);
    Set(gn, "fillcolor", FillColour(status));
    Set(gn, "fontname", "Helvetica");
    Set(gn, "fontsize", "10");
    Set(gn, "id", "node_" + n.id);
    std::string tip = std::string(NodeTypeName(n.type)) + " " + n.id + ": " + NodeStatusName(status);
    if (ne) {
      for (const auto& r : ne->reasons) tip += "\n" + r;
    }
    Set(gn, "tooltip", EscapeBackslashes(tip));
  }
  for (const Defeater& d : c.defeaters) {
    if (made.count(d.id)) continue;
    Agnode_t* gn = node(d.id);
    bool effective = true;
    for (const auto& de : e.defeaters) {
      if (de.id == d.id) effective = de.effective;
    }
    Set(gn, "shape", "octagon");
    Set(gn, "style", "filled,dashed");
    Set(gn, "color", "red");
    Set(gn, "fillcolor", effective ? "#fde2e2" : "#f0f0f0");
    Set(gn, "label", LabelText(d.id, d.text));
    Set(gn, "fontname", "Helvetica");
    Set(gn, "fontsize", "10");
    Set(gn, "id", "node_" + d.id);
    Set(gn, "tooltip", std::string("defeater ") + d.id + ": " + (effective ? "effective" : "rebutted"));
  }
  for (const Node& n : c.nodes) {
    if (made.at(n.id) == nullptr) continue;
    for (const auto& child : n.supported_by) {
      if (!made.count(child)) continue;
      Agedge_t* ed = agedge(g, made[n.id], made[child], nullptr, 1);
      Set(ed, "arrowhead", "normal");
    }
    for (const auto& ctx : n.in_context_of) {
      if (!made.count(ctx)) continue;
      Agedge_t* ed = agedge(g, made[n.id], made[ctx], nullptr, 1);
      Set(ed, "arrowhead", "empty");
    }
  }
  for (const Defeater& d : c.defeaters) {
    if (made.count(d.against)) {
      Agedge_t* ed = agedge(g, made[d.id], made[d.against], nullptr, 1);
      Set(ed, "color", "red");
      Set(ed, "style", "dashed");
      Set(ed, "arrowhead", "tee");
    }
    for (const auto& r : d.rebutted_by) {
      if (!made.count(r)) continue;
      Agedge_t* ed = agedge(g, made[r], made[d.id], nullptr, 1);
      Set(ed, "color", "gray40");
      Set(ed, "style", "dashed");
      Set(ed, "label", "rebuts");
      Set(ed, "fontsize", "9");
    }
  }
  std::string svg;
  if (gvLayout(gvc.get(), g, "dot") != 0) {
    agclose(g);
    return Status::Internal("graphviz: dot layout failed (is the dot plugin installed? `dot -c`)");
  }
  char* data = nullptr;
  unsigned int length = 0;
  const int rc = gvRenderData(gvc.get(), g, "svg", &data, &length);
  if (rc == 0 && data != nullptr) svg.assign(data, length);
  if (data != nullptr) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), g);
  agclose(g);
  if (rc != 0 || svg.empty()) return Status::Internal("graphviz: SVG rendering failed");
  return svg;
}

}  // namespace warden::casebook
