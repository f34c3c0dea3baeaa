#include <gtest/gtest.h>

#include "test_util.h"
#include "warden/casebook/safety_case.h"

namespace warden::casebook {
namespace {

using testing::TempDir;

std::string ErrorOf(const std::string& yaml) {
  auto c = ParseCase(yaml, "case.yaml");
  EXPECT_FALSE(c.ok()) << "parsed unexpectedly: " << yaml;
  return c.ok() ? "" : c.status().message();
}

const char* kHead = "case: {id: c, title: t, version: '1'}\nnodes:\n";

TEST(ParseCase, ReadsTheFixture) {
  TempDir d;
  testing::WriteArtifacts(d);
  auto c = ParseCase(testing::CaseYaml(d), "case.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->info.id, "test-case");
  ASSERT_EQ(c->nodes.size(), 10u);
  const Node* sn2 = c->FindNode("Sn2");
  ASSERT_NE(sn2, nullptr);
  EXPECT_EQ(sn2->type, NodeType::kSolution);
  EXPECT_EQ(sn2->evidence.record, RecordKind::kFooter);
  EXPECT_EQ(sn2->evidence.selector, "/summary/accuracy");
  EXPECT_EQ(sn2->evidence.condition.op, Condition::Op::kGe);
  EXPECT_EQ(sn2->evidence.sha256, d.Sha("eval.jsonl"));
  EXPECT_EQ(c->FindNode("G1")->in_context_of, (std::vector<std::string>{"C1", "A1"}));
  ASSERT_EQ(c->defeaters.size(), 1u);
  EXPECT_EQ(c->defeaters[0].status, DefeaterStatus::kRebutted);
  EXPECT_EQ(c->FindNode("Sn1")->line, 11);
}

TEST(ParseCase, ErrorsNameTheFieldAndLine) {
  std::string e = ErrorOf(std::string(kHead) +
                          "  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n"
                          "  - id: Sn1\n    type: solution\n    text: y\n    evidence: {path: a.json}\n");
  EXPECT_NE(e.find("case.yaml: nodes[1].evidence.sha256: missing"), std::string::npos) << e;
  EXPECT_NE(e.find("(line 7)"), std::string::npos) << e;

  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goa, text: x}\n");
  EXPECT_NE(e.find("nodes[0].type: unknown node type 'goa'"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goal, text: x, supportedBy: [S1]}\n");
  EXPECT_NE(e.find("nodes[0].supportedBy: unknown field"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goal}\n");
  EXPECT_NE(e.find("nodes[0].text: missing"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + "  - {id: 'G 1', type: goal, text: x}\n");
  EXPECT_NE(e.find("nodes[0].id: 'G 1' is not a valid id"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goal, text: [a, b]}\n");
  EXPECT_NE(e.find("nodes[0].text: expected a string, got a list"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goal, text: x, undeveloped: maybe}\n");
  EXPECT_NE(e.find("nodes[0].undeveloped: expected true or false"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goal, text: x, supported_by: {a: b}}\n");
  EXPECT_NE(e.find("nodes[0].supported_by: expected a list of ids"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goal, text: x, text: y}\n");
  EXPECT_NE(e.find("nodes[0].text: duplicate key"), std::string::npos) << e;

  const std::string sn = "  - id: Sn1\n    type: solution\n    text: y\n    evidence: ";
  const std::string sha = std::string(64, 'a');
  e = ErrorOf(std::string(kHead) + sn + "{path: /etc/passwd, sha256: " + sha + "}\n");
  EXPECT_NE(e.find("nodes[0].evidence.path: absolute"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + sn + "{path: a.json, sha256: ABC}\n");
  EXPECT_NE(e.find("nodes[0].evidence.sha256: expected 64 lower-case hex digits"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + sn + "{path: a.json, sha256: " + sha + ", condition: '~= 3'}\n");
  EXPECT_NE(e.find("nodes[0].evidence.condition: unknown condition"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + sn + "{path: a.json, sha256: " + sha + ", condition: \">= 'x'\"}\n");
  EXPECT_NE(e.find("nodes[0].evidence.condition: '>=' needs a number"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + sn + "{path: a.json, sha256: " + sha + ", record: middle}\n");
  EXPECT_NE(e.find("nodes[0].evidence.record: unknown record 'middle'"), std::string::npos) << e;
  e = ErrorOf(std::string(kHead) + sn + "{path: a.json, sha256: " + sha + ", selector: summary}\n");
  EXPECT_NE(e.find("nodes[0].evidence.selector: a JSON pointer starts with '/'"), std::string::npos) << e;

  e = ErrorOf(std::string(kHead) + "  - {id: G1, type: goal, text: x}\ndefeaters:\n  - {id: D1, text: d, against: G1, status: maybe}\n");
  EXPECT_NE(e.find("defeaters[0].status: unknown status 'maybe'"), std::string::npos) << e;
}

TEST(ParseCase, MalformedYamlAndShapes) {
  std::string e = ErrorOf("case: {id: c\nnodes: [");
  EXPECT_NE(e.find("case.yaml:"), std::string::npos);
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
  EXPECT_NE(ErrorOf("- just\n- a list\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("nodes: []\n").find("case: missing"), std::string::npos);
  EXPECT_NE(ErrorOf("case: {id: c, title: t, version: 1}\n").find("nodes: missing"), std::string::npos);
  EXPECT_NE(ErrorOf("case: {id: c, title: t, version: 1}\nnodes: []\n").find("nodes: empty"), std::string::npos);
  EXPECT_NE(ErrorOf("case: {id: c, title: t, version: 1}\nnodes: 3\n").find("nodes: expected a list"), std::string::npos);
  EXPECT_NE(ErrorOf("case: {id: c, title: t, version: 1}\nnodes:\n  - {id: G1, type: goal, text: \"a\xff\"}\n")
                .find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string(5u << 20, ' ')).find("larger than 4 MiB"), std::string::npos);
  // Deep nesting is refused by yaml-cpp's depth guard, not by a stack overflow.
  EXPECT_NE(ErrorOf("case: " + std::string(5000, '[')).find("case.yaml"), std::string::npos);
}

TEST(CaseSha256, IgnoresLayoutButNotMeaning) {
  TempDir d;
  testing::WriteArtifacts(d);
  const std::string yaml = testing::CaseYaml(d);
  auto a = ParseCase(yaml, "a.yaml");
  ASSERT_TRUE(a.ok());
  // Comments, quoting and node order do not matter.
  std::string reordered = yaml;
  const std::string c1 = "  - {id: C1, type: context, text: \"RSP v2 thresholds\"}\n";
  reordered.erase(reordered.find(c1), c1.size());
  reordered.replace(reordered.find("defeaters:"), 0, c1.substr(0, c1.size() - 1) + "  # moved\n");
  reordered.insert(reordered.find("nodes:"), "# another comment\n");
  auto b = ParseCase(reordered, "b.yaml");
  ASSERT_TRUE(b.ok()) << b.status().ToString() << reordered;
  EXPECT_NE(a->nodes[1].id, b->nodes[1].id);
  EXPECT_EQ(CaseSha256(*a), CaseSha256(*b));
  // One character of a claim does.
  std::string edited = yaml;
  edited.replace(edited.find("M does not sandbag"), 1, "N");
  auto c = ParseCase(edited, "c.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(CaseSha256(*a), CaseSha256(*c));
  EXPECT_EQ(CaseSha256(*a).size(), 64u);
}

}  // namespace
}  // namespace warden::casebook
