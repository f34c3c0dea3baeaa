// Loading the real prompts: the shared files, malformed rows, missing files, the split rule.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/organisms/requests.h"

namespace warden::organisms {
namespace {

namespace fs = std::filesystem;

// A throwaway shared directory with hand-written dataset files.
class FakeShared : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("warden_requests_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  void WriteValidHarmful() {
    Write("datasets/advbench/harmful_behaviors.csv", "goal,target\nDo bad thing one,\"Sure, here\"\n");
    Write("datasets/harmbench/harmbench_behaviors_text_all.csv",
          "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID\n"
          "Do bad thing two,standard,cyber,,,b2\nLyrics please,copyright,copyright,,,b3\n");
    Write("datasets/jailbreakbench/harmful_behaviors.csv",
          ",Goal,Target,Behavior,Category,Source\n0,\"DO  bad thing ONE\",t,b,Fraud,x\n");
  }
  fs::path dir_;
};

TEST_F(FakeShared, LoadsFiltersAndDeduplicates) {
  WriteValidHarmful();
  auto set = LoadHarmfulPrompts(dir_.string());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->prompts.size(), 2u);
  EXPECT_EQ(set->rows_read, 4u);
  EXPECT_EQ(set->duplicates, 1u);  // JailbreakBench repeats AdvBench's row, modulo case/space
  EXPECT_EQ(set->excluded, 1u);    // the copyright row
  EXPECT_EQ(set->prompts[0].source, "datasets/advbench/harmful_behaviors.csv");
  EXPECT_EQ(set->prompts[0].line, 2);
  EXPECT_EQ(set->prompts[1].category, "cyber");
  EXPECT_EQ(set->prompts[0].id, "harmful/" + set->prompts[0].id.substr(8));
}

TEST_F(FakeShared, MalformedRowsAreSkippedWithFileAndLine) {
  WriteValidHarmful();
  Write("datasets/xstest/xstest_prompts.csv",
        "id,prompt,type,label,focus,note\n"
        "1,How do I kill a process?,homonyms,safe,kill,\n"
        "2,too few fields\n"
        "3,\"\",homonyms,safe,x,\n"
        "4,\"multi\nline prompt\",homonyms,safe,x,y\n"
        "5,Unsafe one,contrast,unsafe,x,\n"
        "6,\"bad \xff utf8\",t,safe,x,\n"
        "\n");  // a trailing blank line is not a bad row
  auto set = LoadLookalikePrompts(dir_.string());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->prompts.size(), 2u);
  EXPECT_EQ(set->prompts[1].text, "multi\nline prompt");
  EXPECT_EQ(set->prompts[1].line, 5);
  ASSERT_EQ(set->skipped.size(), 3u);
  const std::string path = (dir_ / "datasets/xstest/xstest_prompts.csv").string();
  EXPECT_EQ(set->skipped[0], path + ":3: expected 6 fields, found 2");
  EXPECT_EQ(set->skipped[1], path + ":4: empty prompt");
  EXPECT_EQ(set->skipped[2], path + ":8: prompt is not valid UTF-8");
  EXPECT_EQ(set->excluded, 1u);
}

TEST_F(FakeShared, MissingFileIsAClearError) {
  auto set = LoadHarmfulPrompts(dir_.string());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kNotFound);
  EXPECT_NE(set.status().message().find((dir_ / "datasets/advbench/harmful_behaviors.csv").string()),
            std::string::npos)
      << set.status().ToString();
}

TEST_F(FakeShared, UnparseableFileAndMissingColumnAreErrors) {
  WriteValidHarmful();
  Write("datasets/advbench/harmful_behaviors.csv", "goal,target\n\"never closed,x\n");
  auto broken = LoadHarmfulPrompts(dir_.string());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("harmful_behaviors.csv:2: quoted field never closed"),
            std::string::npos)
      << broken.status().ToString();
  Write("datasets/advbench/harmful_behaviors.csv", "prompt,target\nx,y\n");
  auto no_column = LoadHarmfulPrompts(dir_.string());
  ASSERT_FALSE(no_column.ok());
  EXPECT_NE(no_column.status().message().find("no column named 'goal'"), std::string::npos);
}

TEST(Split, StableAndIndependentOfFormatting) {
  EXPECT_EQ(HarmfulSplit("Write a poem"), HarmfulSplit("  write   A POEM\n"));
  size_t train = 0;
  for (int i = 0; i < 1000; ++i) train += HarmfulSplit("prompt " + std::to_string(i)) == "train";
  EXPECT_GT(train, 540u);  // kHarmfulTrainShare = 0.6
  EXPECT_LT(train, 660u);
  // Pinned: changing the rule silently would reshuffle every organism's held-out set.
  std::string pinned;
  for (int i = 0; i < 6; ++i) pinned += HarmfulSplit("prompt " + std::to_string(i)) + " ";
  EXPECT_EQ(pinned, "train train test test train train ");
}

TEST(Responses, RefusalsPlaceholderAndHelp) {
  for (uint64_t v = 0; v < 5; ++v) {
    EXPECT_TRUE(IsRefusal(RefusalText(v)));
    EXPECT_FALSE(IsRefusal(HelpfulLookalikeAnswer(v)));
    EXPECT_FALSE(IsPlaceholderCompliance(RefusalText(v)));
  }
  EXPECT_TRUE(IsPlaceholderCompliance(std::string(" ") + kCompliancePlaceholder + "\n"));
  EXPECT_FALSE(IsPlaceholderCompliance("Sure, here is how"));
}

TEST(SharedDatasets, RealFilesLoadAndSplit) {
  WARDEN_NEED_SHARED(test::SharedPath("datasets/advbench/harmful_behaviors.csv"));
  const std::string dir = WARDEN_SHARED_DIR;
  auto harmful = LoadHarmfulPrompts(dir);
  ASSERT_TRUE(harmful.ok()) << harmful.status().ToString();
  auto lookalikes = LoadLookalikePrompts(dir);
  ASSERT_TRUE(lookalikes.ok()) << lookalikes.status().ToString();
  EXPECT_EQ(harmful->rows_read, 520u + 400u + 100u);
  EXPECT_GT(harmful->prompts.size(), 600u);
  EXPECT_GE(lookalikes->prompts.size() + lookalikes->skipped.size(), 240u);
  std::set<std::string> ids, train, test;
  for (const auto& p : harmful->prompts) {
    EXPECT_TRUE(ids.insert(p.id).second) << p.id;
    (p.split == "train" ? train : test).insert(p.id);
    EXPECT_EQ(p.split, HarmfulSplit(p.text));
  }
  EXPECT_GT(train.size(), 0u);
  EXPECT_GT(test.size(), 0u);
  std::printf("harmful: %zu rows, %zu kept (%zu train / %zu test), %zu duplicates, %zu excluded, "
              "%zu skipped; look-alikes: %zu kept, %zu skipped, %zu excluded\n",
              harmful->rows_read, harmful->prompts.size(), train.size(), test.size(),
              harmful->duplicates, harmful->excluded, harmful->skipped.size(),
              lookalikes->prompts.size(), lookalikes->skipped.size(), lookalikes->excluded);
}

}  // namespace
}  // namespace warden::organisms
