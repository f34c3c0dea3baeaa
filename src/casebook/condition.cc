// The condition language of include/warden/casebook/condition.h.
#include "warden/base/strings.h"
#include "warden/casebook/condition.h"

#include <cmath>
#include <cstdlib>
#include <utility>

namespace warden::casebook {
namespace {

using Json = nlohmann::json;

// A compact rendering of a value for explanations; never throws on odd UTF-8.
std::string Show(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

const char* OpText(Condition::Op op) {
  switch (op) {
    case Condition::Op::kExists: return "exists";
    case Condition::Op::kEq: return "==";
    case Condition::Op::kNe: return "!=";
    case Condition::Op::kGe: return ">=";
    case Condition::Op::kLe: return "<=";
    case Condition::Op::kGt: return ">";
    case Condition::Op::kLt: return "<";
  }
  return "?";
}

Result<Json> ParseOperand(const std::string& t) {
  if (t.empty()) return Status::InvalidArgument("missing value after the operator");
  if (t[0] == '\'' || t[0] == '"') {
    if (t.size() < 2 || t.back() != t[0]) return Status::InvalidArgument("unterminated string " + t);
    const std::string inner = t.substr(1, t.size() - 2);
    if (inner.find(t[0]) != std::string::npos) return Status::InvalidArgument("stray quote in string " + t);
    return Json(inner);
  }
  if (t == "true") return Json(true);
  if (t == "false") return Json(false);
  if (t == "null") return Json(nullptr);
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  if (end == t.c_str() + t.size() && std::isfinite(d) && t.find_first_of("xXpP") == std::string::npos) {
    return Json(d);
  }
  return Status::InvalidArgument("cannot read the value '" + t +
                                 "': expected a number, true, false, null or a quoted string ('pass')");
}

}  // namespace

std::string Condition::ToString() const {
  if (op == Op::kExists) return "exists";
  std::string v;
  if (operand.is_string()) {
    v = "'" + operand.get<std::string>() + "'";
  } else {
    v = Show(operand);
  }
  return std::string(OpText(op)) + " " + v;
}

Result<Condition> ParseCondition(const std::string& text) {
  const std::string t(Trim(text));
  Condition c;
  if (t.empty()) return Status::InvalidArgument("empty condition (use `exists`, `>= 0.95`, `== true`, ...)");
  if (t == "exists") return c;
  static const std::pair<const char*, Condition::Op> kOps[] = {
      {"==", Condition::Op::kEq}, {"!=", Condition::Op::kNe}, {">=", Condition::Op::kGe},
      {"<=", Condition::Op::kLe}, {">", Condition::Op::kGt},  {"<", Condition::Op::kLt}};
  for (const auto& [sym, op] : kOps) {
    const std::string s(sym);
    if (t.compare(0, s.size(), s) != 0) continue;
    auto operand = ParseOperand(std::string(Trim(t.substr(s.size()))));
    if (!operand.ok()) return operand.status();
    c.op = op;
    c.operand = *std::move(operand);
    if (op != Condition::Op::kEq && op != Condition::Op::kNe && !c.operand.is_number()) {
      return Status::InvalidArgument(std::string("'") + sym + "' needs a number, got " + Show(c.operand));
    }
    return c;
  }
  return Status::InvalidArgument("unknown condition '" + t +
                                 "': expected exists, ==, !=, >=, <=, > or < followed by a value");
}

ConditionOutcome EvaluateCondition(const Condition& c, const Json* value) {
  ConditionOutcome out;
  if (value == nullptr) {
    out.explanation = "no value";
    return out;
  }
  if (c.op == Condition::Op::kExists) {
    out.met = true;
    out.explanation = "value exists";
    return out;
  }
  const std::string shown = Show(*value) + " " + OpText(c.op) + " " + Show(c.operand);
  if (c.op == Condition::Op::kEq || c.op == Condition::Op::kNe) {
    bool equal;
    if (value->is_number() && c.operand.is_number()) {
      equal = value->get<double>() == c.operand.get<double>();
    } else {
      equal = *value == c.operand;
    }
    out.met = (c.op == Condition::Op::kEq) == equal;
    out.explanation = shown + (out.met ? " holds" : " does not hold");
    return out;
  }
  if (!value->is_number()) {
    out.explanation = std::string("value ") + Show(*value) + " is " + value->type_name() +
                      ", but '" + OpText(c.op) + "' needs a number";
    return out;
  }
  const double a = value->get<double>(), b = c.operand.get<double>();
  switch (c.op) {
    case Condition::Op::kGe: out.met = a >= b; break;
    case Condition::Op::kLe: out.met = a <= b; break;
    case Condition::Op::kGt: out.met = a > b; break;
    case Condition::Op::kLt: out.met = a < b; break;
    default: break;
  }
  out.explanation = shown + (out.met ? " holds" : " does not hold");
  return out;
}

}  // namespace warden::casebook
