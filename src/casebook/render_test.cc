#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "test_util.h"
#include "warden/casebook/render.h"

namespace warden::casebook {
namespace {

using testing::TempDir;

struct Rendered {
  SafetyCase c;
  CaseEvaluation e;
};

Rendered Fixture(const TempDir& d, bool tamper) {
  testing::WriteArtifacts(d);
  Rendered r{ParseCase(testing::CaseYaml(d, "  - {id: D2, text: \"<script>alert(1)</script> & co\", against: A1, status: open}\n"),
                       "case.yaml").ValueOrThrow(), {}};
  if (tamper) d.Write("decision.json", "{}");
  r.e = EvaluateCase(r.c, d.path()).ValueOrThrow();
  return r;
}

TEST(RenderCaseSvg, HasEveryNodeWithItsShapeAndStatus) {
  TempDir d;
  const Rendered r = Fixture(d, /*tamper=*/true);
  auto svg = RenderCaseSvg(r.c, r.e);
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  for (const Node& n : r.c.nodes) EXPECT_NE(svg->find("id=\"node_" + n.id + "\""), std::string::npos) << n.id;
  for (const Defeater& df : r.c.defeaters) EXPECT_NE(svg->find("id=\"node_" + df.id + "\""), std::string::npos) << df.id;
  EXPECT_NE(svg->find("#f8d7da"), std::string::npos);  // defeated fill (G1, G2, S1, Sn1)
  EXPECT_NE(svg->find("#d4edda"), std::string::npos);  // supported fill (G3 ...)
  EXPECT_EQ(svg->find("<script>"), std::string::npos);  // text is escaped
  EXPECT_NE(svg->find("&lt;script&gt;"), std::string::npos);
}

TEST(RenderCaseHtml, ShowsNodesEvidenceAndSignatures) {
  TempDir d;
  const Rendered r = Fixture(d, /*tamper=*/true);
  SignatureReport sigs;
  sigs.problems.push_back("missing sign-off: adjudicator");
  const std::string html = RenderCaseHtml(r.c, r.e, &sigs);
  for (const Node& n : r.c.nodes) {
    EXPECT_NE(html.find("id=\"row-" + n.id + "\""), std::string::npos) << n.id;
    EXPECT_NE(html.find("id=\"node_" + n.id + "\""), std::string::npos) << n.id;
  }
  EXPECT_NE(html.find("decision.json"), std::string::npos);
  EXPECT_NE(html.find("/summary/accuracy"), std::string::npos);
  EXPECT_NE(html.find("&gt;= 0.95"), std::string::npos);
  EXPECT_NE(html.find("<code>0.97</code>"), std::string::npos);  // value found in the eval log
  EXPECT_NE(html.find("artifact changed"), std::string::npos);
  EXPECT_NE(html.find("missing sign-off: adjudicator"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);  // the SVG is inlined without its prolog
}

TEST(ExportGsn2x, OneEntryPerNodeWithRelations) {
  TempDir d;
  const Rendered r = Fixture(d, /*tamper=*/true);
  const std::string text = ExportGsn2x(r.c, &r.e);
  const YAML::Node y = YAML::Load(text);
  ASSERT_TRUE(y.IsMap());
  EXPECT_EQ(y["module"]["name"].as<std::string>(), "test-case");
  for (const Node& n : r.c.nodes) ASSERT_TRUE(y[n.id]) << n.id;
  EXPECT_EQ(y["G1"]["nodeType"].as<std::string>(), "Goal");
  EXPECT_EQ(y["S1"]["nodeType"].as<std::string>(), "Strategy");
  EXPECT_EQ(y["Sn1"]["nodeType"].as<std::string>(), "Solution");
  EXPECT_EQ(y["A1"]["nodeType"].as<std::string>(), "Assumption");
  EXPECT_EQ(y["S1"]["supportedBy"].size(), 2u);
  EXPECT_EQ(y["S1"]["supportedBy"][1].as<std::string>(), "G3");
  EXPECT_EQ(y["G1"]["inContextOf"][0].as<std::string>(), "C1");
  EXPECT_TRUE(y["G2"]["defeated"].as<bool>());
  EXPECT_FALSE(y["G3"]["defeated"]);
  EXPECT_EQ(y["D2"]["nodeType"].as<std::string>(), "CounterGoal");
  EXPECT_EQ(y["D2"]["challenges"].as<std::string>(), "A1");
  EXPECT_TRUE(y["D1"]["defeated"].as<bool>());  // rebutted
  EXPECT_NE(y["Sn2"]["text"].as<std::string>().find("eval.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace warden::casebook
