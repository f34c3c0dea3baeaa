#include <gtest/gtest.h>

#include "test_util.h"
#include "warden/casebook/evaluate.h"

namespace warden::casebook {
namespace {

using testing::TempDir;

CaseEvaluation Evaluate(const std::string& yaml, const std::string& dir) {
  auto c = ParseCase(yaml, "case.yaml");
  if (!c.ok()) throw Error(c.status());
  return EvaluateCase(*c, dir).ValueOrThrow();
}

NodeStatus StatusOf(const CaseEvaluation& e, const std::string& id) {
  const NodeEvaluation* n = e.FindNode(id);
  if (n == nullptr) throw std::runtime_error("no node " + id);
  return n->status;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// The structural errors of a case made of `nodes` (and `defeaters`), with no evidence on disk.
std::vector<std::string> StructureErrors(const std::string& nodes, const std::string& defeaters = "") {
  auto c = ParseCase("case: {id: c, title: t, version: '1'}\nnodes:\n" + nodes +
                         (defeaters.empty() ? "" : "defeaters:\n" + defeaters),
                     "case.yaml");
  if (!c.ok()) throw Error(c.status());
  std::vector<std::string> out;
  for (const auto& issue : ValidateStructure(*c).errors) out.push_back(issue.message);
  return out;
}

bool HasError(const std::vector<std::string>& errors, const std::string& needle) {
  for (const auto& e : errors) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

const std::string kSha = std::string(64, '0');
const std::string kSn1 = "  - {id: Sn1, type: solution, text: s, evidence: {path: a.json, sha256: " + kSha + "}}\n";

TEST(EvaluateCase, FixtureIsSupported) {
  TempDir d;
  testing::WriteArtifacts(d);
  const CaseEvaluation e = Evaluate(testing::CaseYaml(d), d.path());
  EXPECT_TRUE(e.valid()) << Joined(e.errors);
  EXPECT_EQ(e.root_id, "G1");
  EXPECT_EQ(e.root_status, NodeStatus::kSupported);
  EXPECT_TRUE(e.supported());
  for (const auto& n : e.nodes) EXPECT_EQ(n.status, NodeStatus::kSupported) << n.id << ": " << Joined(n.reasons);
  ASSERT_EQ(e.evidence.size(), 3u);
  const EvidenceCheck* sn2 = e.FindEvidence("Sn2");
  ASSERT_NE(sn2, nullptr);
  ASSERT_TRUE(sn2->value.has_value());
  EXPECT_DOUBLE_EQ(sn2->value->get<double>(), 0.97);  // read from the eval log's footer
  EXPECT_EQ(e.FindEvidence("Sn1")->value, nlohmann::json(true));
  EXPECT_FALSE(e.FindEvidence("Sn3")->value.has_value());  // `exists` on a whole file: hash only
  ASSERT_EQ(e.defeaters.size(), 1u);
  EXPECT_FALSE(e.defeaters[0].effective);
  const nlohmann::json j = ToJson(e);
  EXPECT_EQ(j["root"]["status"], "supported");
  EXPECT_EQ(j["evidence"][1]["value"], 0.97);
}

TEST(EvaluateCase, ChangedByteDefeatsTheSolutionAndEveryClaimAboveButNotSiblings) {
  TempDir d;
  testing::WriteArtifacts(d);
  const std::string yaml = testing::CaseYaml(d);
  // Same meaning, one byte different: only the hash can tell.
  d.Write("decision.json", R"({"checks":{"sandbagging":{"passed":true,"score":0.03}},"decision":"continue"})");
  const CaseEvaluation e = Evaluate(yaml, d.path());
  EXPECT_TRUE(e.valid());
  EXPECT_EQ(e.FindEvidence("Sn1")->state, EvidenceState::kChanged);
  EXPECT_EQ(e.FindEvidence("Sn1")->actual_sha256, d.Sha("decision.json"));
  for (const char* id : {"Sn1", "G2", "S1", "G1"}) {
    EXPECT_EQ(StatusOf(e, id), NodeStatus::kDefeated) << id;
    const auto& reasons = e.FindNode(id)->reasons;
    ASSERT_FALSE(reasons.empty()) << id;
    EXPECT_NE(reasons[0].find("Sn1: evidence decision.json: artifact changed"), std::string::npos) << reasons[0];
  }
  for (const char* id : {"G3", "Sn2", "Sn3", "C1", "A1", "J1"}) EXPECT_EQ(StatusOf(e, id), NodeStatus::kSupported) << id;
  EXPECT_FALSE(e.supported());
}

TEST(EvaluateCase, VanishedUnparseableAndFailingEvidence) {
  TempDir d;
  testing::WriteArtifacts(d);
  const std::string yaml = testing::CaseYaml(d);
  std::filesystem::remove(d.Join("notes.txt"));
  CaseEvaluation e = Evaluate(yaml, d.path());
  EXPECT_EQ(e.FindEvidence("Sn3")->state, EvidenceState::kMissing);
  // Sn3 only rebuts D1, so D1 comes back and defeats G3, and G3's parents.
  EXPECT_EQ(StatusOf(e, "Sn3"), NodeStatus::kDefeated);
  EXPECT_TRUE(e.defeaters[0].effective);
  EXPECT_EQ(StatusOf(e, "G3"), NodeStatus::kDefeated);
  EXPECT_EQ(StatusOf(e, "Sn2"), NodeStatus::kSupported);
  EXPECT_EQ(e.root_status, NodeStatus::kDefeated);
  EXPECT_NE(Joined(e.FindNode("G1")->reasons).find("D1"), std::string::npos) << Joined(e.FindNode("G1")->reasons);

  // A condition no longer met, with the hash re-pinned: defeated by the condition.
  TempDir d2;
  testing::WriteArtifacts(d2);
  d2.Write("eval.jsonl", "{\"type\":\"header\"}\n{\"type\":\"footer\",\"summary\":{\"accuracy\":0.90}}\n");
  e = Evaluate(testing::CaseYaml(d2), d2.path());
  EXPECT_EQ(e.FindEvidence("Sn2")->state, EvidenceState::kConditionFailed);
  EXPECT_NE(e.FindEvidence("Sn2")->reason.find("0.9 >= 0.95"), std::string::npos) << e.FindEvidence("Sn2")->reason;
  EXPECT_EQ(StatusOf(e, "G3"), NodeStatus::kDefeated);
  EXPECT_EQ(StatusOf(e, "G2"), NodeStatus::kSupported);

  // A killed run: no footer.
  d2.Write("eval.jsonl", "{\"type\":\"header\"}\n{\"type\":\"sample\",\"score\":1}\n");
  e = Evaluate(testing::CaseYaml(d2), d2.path());
  EXPECT_EQ(e.FindEvidence("Sn2")->state, EvidenceState::kUnreadable);
  EXPECT_NE(e.FindEvidence("Sn2")->reason.find("did the run finish?"), std::string::npos);

  // Not JSON at all.
  d2.Write("decision.json", "{not json");
  e = Evaluate(testing::CaseYaml(d2), d2.path());
  EXPECT_EQ(e.FindEvidence("Sn1")->state, EvidenceState::kUnreadable);
  EXPECT_EQ(StatusOf(e, "G2"), NodeStatus::kDefeated);

  // A selector that finds nothing.
  d2.Write("decision.json", R"({"checks":{}})");
  e = Evaluate(testing::CaseYaml(d2), d2.path());
  EXPECT_EQ(e.FindEvidence("Sn1")->state, EvidenceState::kNoValue);

  // A directory where a file should be.
  const std::string yaml2 = testing::CaseYaml(d2);
  std::filesystem::remove(d2.Join("notes.txt"));
  std::filesystem::create_directory(d2.Join("notes.txt"));
  e = Evaluate(yaml2, d2.path());
  EXPECT_EQ(e.FindEvidence("Sn3")->state, EvidenceState::kMissing);
}

TEST(EvaluateCase, JsonlRecordSelectors) {
  TempDir d;
  d.Write("log.jsonl", "\n{\"type\":\"header\",\"task\":\"refusal\"}\n{\"type\":\"sample\",\"score\":0}\n"
                       "{\"type\":\"footer\",\"summary\":{\"accuracy\":0.5}}\n\n");
  Evidence e;
  e.path = "log.jsonl";
  e.record = RecordKind::kHeader;
  e.selector = "/task";
  EXPECT_EQ(ReadSelectedValue(d.Join("log.jsonl"), e).ValueOrThrow(), "refusal");
  e.record = RecordKind::kFooter;
  e.selector = "/summary/accuracy";
  EXPECT_EQ(ReadSelectedValue(d.Join("log.jsonl"), e).ValueOrThrow(), 0.5);
  e.record = RecordKind::kLast;
  e.selector = "/type";
  EXPECT_EQ(ReadSelectedValue(d.Join("log.jsonl"), e).ValueOrThrow(), "footer");
  e.record = RecordKind::kFirst;
  EXPECT_EQ(ReadSelectedValue(d.Join("log.jsonl"), e).ValueOrThrow(), "header");
  e.selector = "/nope";
  EXPECT_EQ(ReadSelectedValue(d.Join("log.jsonl"), e).status().code(), StatusCode::kNotFound);
  d.Write("torn.jsonl", "{\"type\":\"header\"}\n{\"type\":\"foot");
  e.record = RecordKind::kLast;
  e.selector = "";
  auto torn = ReadSelectedValue(d.Join("torn.jsonl"), e);
  ASSERT_FALSE(torn.ok());
  EXPECT_NE(torn.status().message().find("line 2"), std::string::npos) << torn.status().message();
}

TEST(EvaluateCase, DefeatersAndContext) {
  TempDir d;
  testing::WriteArtifacts(d);
  // An open defeater against the assumption defeats the root that rests on it, and nothing else.
  const CaseEvaluation e = Evaluate(
      testing::CaseYaml(d, "  - {id: D2, text: \"Evals under-elicit\", against: A1, status: open}\n"), d.path());
  EXPECT_TRUE(e.valid()) << Joined(e.errors);
  EXPECT_EQ(StatusOf(e, "A1"), NodeStatus::kDefeated);
  EXPECT_EQ(StatusOf(e, "G1"), NodeStatus::kDefeated);
  EXPECT_EQ(StatusOf(e, "S1"), NodeStatus::kSupported);
  EXPECT_NE(Joined(e.FindNode("G1")->reasons).find("defeater D2 is open"), std::string::npos);
}

TEST(EvaluateCase, UndevelopedIsFlaggedAndPropagates) {
  const std::string yaml = "case: {id: c, title: t, version: '1'}\nnodes:\n"
                           "  - {id: G1, type: goal, text: top, supported_by: [G2, G3]}\n"
                           "  - {id: G2, type: goal, text: open question, undeveloped: true}\n"
                           "  - {id: G3, type: goal, text: done, supported_by: [Sn1]}\n" + kSn1;
  TempDir d;
  d.Write("a.json", "{}");
  std::string fixed = yaml;
  fixed.replace(fixed.find(kSha), 64, d.Sha("a.json"));
  const CaseEvaluation e = Evaluate(fixed, d.path());
  EXPECT_TRUE(e.valid()) << Joined(e.errors);
  ASSERT_EQ(e.warnings.size(), 1u);
  EXPECT_NE(e.warnings[0].find("node G2 (line 4): goal is undeveloped"), std::string::npos) << e.warnings[0];
  EXPECT_EQ(StatusOf(e, "G2"), NodeStatus::kUndeveloped);
  EXPECT_EQ(StatusOf(e, "G3"), NodeStatus::kSupported);
  EXPECT_EQ(e.root_status, NodeStatus::kUndeveloped);
  EXPECT_FALSE(e.supported());
}

TEST(ValidateStructure, EveryErrorKind) {
  EXPECT_TRUE(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n" + kSn1).empty());
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n" + kSn1 +
                                       "  - {id: G1, type: goal, text: y, undeveloped: true}\n"),
                       "node G1 (line 5): duplicate id 'G1' (first used at line 3)"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn9]}\n"),
                       "node G1 (line 3): supported_by: dangling reference to unknown id 'Sn9'"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1], in_context_of: [C9]}\n" + kSn1),
                       "in_context_of: dangling reference to unknown id 'C9'"));
  // Relations GSN does not allow.
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [S1]}\n"
                                       "  - {id: S1, type: strategy, text: s, supported_by: [Sn1]}\n" + kSn1),
                       "a strategy cannot be supported by Sn1, a solution"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1, C1]}\n" + kSn1 +
                                       "  - {id: C1, type: context, text: c}\n"),
                       "use in_context_of for context"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1], in_context_of: [Sn1]}\n" + kSn1),
                       "in_context_of: Sn1 is a solution"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n"
                                       "  - {id: Sn1, type: solution, text: s, supported_by: [G1]}\n"),
                       "a solution needs evidence"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, undeveloped: true, supported_by: [Sn1]}\n" + kSn1),
                       "marked undeveloped but has supported_by"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x}\n"), "a goal with no support"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n" + kSn1 +
                                       "  - {id: C1, type: context, text: c, undeveloped: true}\n"),
                       "only goals and strategies can be undeveloped"));
  // Roots, reachability, cycles.
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n" + kSn1 +
                                       "  - {id: G2, type: goal, text: y, supported_by: [Sn1]}\n"),
                       "2 root goals (G1, G2)"));
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [G2]}\n"
                                       "  - {id: G2, type: goal, text: y, supported_by: [G1]}\n"),
                       "no root goal"));
  const auto cyc = StructureErrors("  - {id: G0, type: goal, text: x, supported_by: [G1]}\n"
                                   "  - {id: G1, type: goal, text: x, supported_by: [G2]}\n"
                                   "  - {id: G2, type: goal, text: y, supported_by: [G1]}\n");
  EXPECT_TRUE(HasError(cyc, "cycle in supported_by: G1 -> G2 -> G1")) << Joined(cyc);
  EXPECT_TRUE(HasError(StructureErrors("  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n" + kSn1 +
                                       "  - {id: C1, type: context, text: stray}\n"),
                       "node C1 (line 5): not connected to the root goal G1"));
  // Defeaters.
  const std::string g1 = "  - {id: G1, type: goal, text: x, supported_by: [Sn1]}\n" + kSn1;
  EXPECT_TRUE(HasError(StructureErrors(g1, "  - {id: D1, text: d, against: G9, status: open}\n"),
                       "defeater D1 (line 6): against: dangling reference to unknown id 'G9'"));
  EXPECT_TRUE(HasError(StructureErrors(g1, "  - {id: D1, text: d, against: G1, status: rebutted}\n"),
                       "status rebutted but rebutted_by lists no evidence"));
  EXPECT_TRUE(HasError(StructureErrors(g1, "  - {id: D1, text: d, against: G1, status: open, rebutted_by: [Sn1]}\n"),
                       "status open but rebutted_by lists evidence"));
  EXPECT_TRUE(HasError(StructureErrors(g1, "  - {id: D1, text: d, against: G1, status: rebutted, rebutted_by: [G1]}\n"),
                       "rebutted_by: G1 is a goal, not a solution"));
  EXPECT_TRUE(HasError(StructureErrors(g1, "  - {id: G1, text: d, against: Sn1, status: open}\n"), "duplicate id 'G1'"));
}

TEST(EvaluateCase, InvalidNodesAreMarkedAndCyclesTerminate) {
  TempDir d;
  const CaseEvaluation e = Evaluate("case: {id: c, title: t, version: '1'}\nnodes:\n"
                                    "  - {id: G0, type: goal, text: x, supported_by: [G1]}\n"
                                    "  - {id: G1, type: goal, text: x, supported_by: [G2]}\n"
                                    "  - {id: G2, type: goal, text: y, supported_by: [G1, G9]}\n",
                                    d.path());
  EXPECT_FALSE(e.valid());
  EXPECT_EQ(StatusOf(e, "G1"), NodeStatus::kInvalid);
  EXPECT_EQ(StatusOf(e, "G2"), NodeStatus::kInvalid);
  EXPECT_EQ(e.root_status, NodeStatus::kInvalid);
  EXPECT_FALSE(e.supported());
  EXPECT_FALSE(EvaluateCase(ParseCase("case: {id: c, title: t, version: '1'}\nnodes:\n  - {id: G1, type: goal, text: x, undeveloped: true}\n", "c").ValueOrThrow(),
                            d.Join("no-such-dir")).ok());
}

TEST(EvaluateCase, LongChainsDoNotExhaustTheStack) {
  std::string yaml = "case: {id: c, title: t, version: '1'}\nnodes:\n";
  const int n = 50000;
  for (int i = 0; i < n; ++i) {
    yaml += "  - {id: G" + std::to_string(i) + ", type: goal, text: x, " +
            (i + 1 < n ? "supported_by: [G" + std::to_string(i + 1) + "]}\n" : "undeveloped: true}\n");
  }
  TempDir d;
  const CaseEvaluation e = Evaluate(yaml, d.path());
  EXPECT_TRUE(e.valid()) << (e.errors.empty() ? "" : e.errors[0]);
  EXPECT_EQ(e.root_status, NodeStatus::kUndeveloped);
}

}  // namespace
}  // namespace warden::casebook

namespace warden::casebook {
namespace {

// The worked example of docs/casebook.md stays valid and supported, and its eval-log footer is read.
TEST(EvaluateCase, DocumentedExampleIsSupported) {
  const std::string path = std::string(WARDEN_SOURCE_DIR) + "/src/casebook/testdata/example/case.yaml";
  const SafetyCase c = LoadCase(path).ValueOrThrow();
  const CaseEvaluation e = EvaluateCase(c, CaseBaseDir(path)).ValueOrThrow();
  EXPECT_TRUE(e.supported()) << (e.errors.empty() ? "" : e.errors[0]);
  EXPECT_EQ(e.FindEvidence("Sn2")->value, nlohmann::json(0.97));
}

}  // namespace
}  // namespace warden::casebook
