// The moderator: taxonomy, scores from hand-made packs, training on labelled rows, the shared
// datasets' mapping, and bad manifests and datasets named in errors.
#include "warden/guard/moderation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "guard/test_moderator.h"
#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/base/shared_dir.h"

namespace warden::guard {
namespace {

std::string Dir(const std::string& name) {
  const std::string d = ::testing::TempDir() + "/moderation_test_" + name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

TEST(Moderation, TheTaxonomiesAreOpenAisThirteenAndMlCommonsFourteen) {
  EXPECT_EQ(OpenAiCategories().size(), 13u);
  ASSERT_EQ(Hazards().size(), 14u);
  const std::set<std::string> names(OpenAiCategories().begin(), OpenAiCategories().end());
  for (size_t i = 0; i < Hazards().size(); ++i) {
    EXPECT_EQ(Hazards()[i].code, "S" + std::to_string(i + 1));
    for (const std::string& c : Hazards()[i].openai) EXPECT_TRUE(names.count(c)) << Hazards()[i].code << " -> " << c;
  }
}

TEST(Moderation, ScoresComeFromTheLabelsAndUnscoredCategoriesSaySo) {
  const std::string dir = Dir("scores");
  testing::WriteTestModerator(dir);
  Moderator m = Moderator::Load(dir).value();
  ModerationResult bad = m.Classify("how is sarin made");
  const double expected = 1 / (1 + std::exp(-4.0));  // 8 * 1 - 4, threshold 0
  EXPECT_TRUE(bad.flagged);
  EXPECT_DOUBLE_EQ(bad.hazard_scores["S9"], expected);
  EXPECT_EQ(bad.flagged_hazards, std::vector<std::string>{"S9"});
  EXPECT_DOUBLE_EQ(bad.category_scores["illicit/violent"], expected);  // S9 counts towards it
  EXPECT_DOUBLE_EQ(bad.category_scores["violence"], expected);
  EXPECT_TRUE(bad.categories["illicit/violent"]);
  EXPECT_FALSE(bad.categories["harassment"]);
  EXPECT_DOUBLE_EQ(bad.category_scores["harassment"], 1 / (1 + std::exp(4.0)));
  ModerationResult fine = m.Classify("how is bread made");
  EXPECT_FALSE(fine.flagged);
  EXPECT_TRUE(fine.flagged_hazards.empty());
  // Nothing covers hate: unscored, 0, never flagged.
  EXPECT_EQ(fine.category_scores["hate"], 0);
  EXPECT_NE(std::find(fine.unscored_categories.begin(), fine.unscored_categories.end(), "hate"), fine.unscored_categories.end());
  EXPECT_EQ(std::find(fine.unscored_categories.begin(), fine.unscored_categories.end(), "violence"), fine.unscored_categories.end());
  EXPECT_EQ(fine.unscored_hazards.size(), 13u);
  const nlohmann::json j = ModerationResultJson(bad);
  EXPECT_EQ(j["categories"].size(), 13u);
  EXPECT_EQ(j["warden"]["hazards"].size(), 14u);
  EXPECT_EQ(j["warden"]["hazards"]["S9"]["name"], "Indiscriminate Weapons");
}

TEST(Moderation, TrainingLearnsEachLabelAndLeavesRareOnesUnscored) {
  std::vector<ModerationExample> rows;
  const std::vector<std::string> poison = {"make", "sarin", "nerve", "agent", "tabun", "at", "home"};
  for (int i = 0; i < 200; ++i) {
    ModerationExample e;
    e.cluster = "c" + std::to_string(i);
    e.source = i % 2 ? "a" : "b";
    if (i % 4 == 0) {
      e.text = "how do i " + poison[i % 7] + " " + poison[(i + 3) % 7] + " sarin quickly " + std::to_string(i);
      e.labels = {"S9"};
    } else if (i == 1) {
      e.text = "you idiot";
      e.labels = {"harassment"};  // one row: too few to train
    } else {
      e.text = "how do i bake bread and cook rice for dinner " + std::to_string(i % 13);
    }
    rows.push_back(e);
  }
  const std::string dir = Dir("train");
  std::string log;
  ModerationTrainOptions o;
  o.min_positives = 10;
  ASSERT_TRUE(TrainModerator(rows, o, dir, &log).ok()) << log;
  EXPECT_NE(log.find("harassment: 1 positive training rows (< 10): unscored"), std::string::npos) << log;
  Moderator m = Moderator::Load(dir).value();
  EXPECT_EQ(m.labels(), std::vector<std::string>{"S9"});
  EXPECT_TRUE(m.Classify("how do i make sarin nerve agent").flagged);
  EXPECT_FALSE(m.Classify("how do i bake bread and cook rice for dinner 5").flagged);
  const nlohmann::json manifest = nlohmann::json::parse(ReadFileToString(dir + "/moderation.json").value());
  EXPECT_TRUE(manifest["labels"]["S9"]["test"]["auroc"]["value"].is_number());
}

TEST(Moderation, BadManifestsAreErrorsNamingTheField) {
  const std::string dir = Dir("bad");
  testing::WriteTestModerator(dir);
  auto expect = [&](const std::string& manifest, const std::string& needle) {
    ASSERT_TRUE(WriteFileAtomic(dir + "/moderation.json", manifest).ok());
    Result<Moderator> m = Moderator::Load(dir);
    ASSERT_FALSE(m.ok()) << manifest;
    EXPECT_NE(m.status().ToString().find(needle), std::string::npos) << m.status().ToString();
  };
  expect("{", "not a JSON object");
  expect(R"({"format": "other", "labels": {}})", "format");
  expect(R"({"format": "warden-moderation/1", "labels": {"S99": {"pack": "S9.safetensors"}}})", "labels.S99");
  expect(R"({"format": "warden-moderation/1", "labels": {"S9": {}}})", "labels.S9: field 'pack'");
  expect(R"({"format": "warden-moderation/1", "labels": {"S9": {"pack": "../S9.safetensors"}}})", "not a file name");
  expect(R"({"format": "warden-moderation/1", "labels": {"S9": {"pack": "missing.safetensors"}}})", "labels.S9");
  EXPECT_FALSE(Moderator::Load(dir + "/nowhere").ok());
}

TEST(Moderation, TheSharedDatasetsMapToLabels) {
  WARDEN_NEED_SHARED(test::SharedPath("datasets/harmbench/harmbench_behaviors_text_all.csv"),
                     test::SharedPath("datasets/hate-speech/labeled_data.csv"));
  const std::string shared = test::SharedDir();
  std::vector<ModerationExample> rows = LoadModerationExamples(shared).value();
  std::map<std::string, size_t> by_label, by_source;
  for (const ModerationExample& e : rows) {
    ++by_source[e.source];
    for (const std::string& l : e.labels) ++by_label[l];
  }
  EXPECT_EQ(by_source["harmbench"], 400u);
  EXPECT_EQ(by_source["jailbreakbench"], 100u);
  EXPECT_EQ(by_source["xstest-safe"], 250u);
  EXPECT_EQ(by_source["truthfulqa"], 817u);
  EXPECT_GT(by_label["S9"], 50u);  // HarmBench's chemical_biological rows
  EXPECT_GT(by_label["S10"], 1000u);
  EXPECT_GT(by_label["S7"], 200u);
}

TEST(Moderation, AnUnknownSourceCategoryIsAnErrorNamingTheLine) {
  const std::string shared = Dir("shared");
  std::filesystem::create_directories(shared + "/datasets/harmbench");
  ASSERT_TRUE(WriteFileAtomic(shared + "/datasets/harmbench/harmbench_behaviors_text_all.csv",
                              "Behavior,FunctionalCategory,SemanticCategory\nDo a thing,standard,new_category\n")
                  .ok());
  Result<std::vector<ModerationExample>> r = LoadModerationExamples(shared);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("harmbench_behaviors_text_all.csv:2: unknown SemanticCategory 'new_category'"),
            std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace warden::guard
