// Activation datasets on disk: round trips in shards, the manifest as the mark of a finished
// capture, refusing to mix with an existing dataset, and capture shard by shard equal to
// capture at once (stories260K).
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/interp/shards.h"

namespace warden::interp {
namespace {

namespace fs = std::filesystem;

ActivationSet Synthetic(int rows, int d) {
  ActivationSet set;
  set.model_sha256 = std::string(64, 'a');
  set.rule = PositionRule::kLastPrompt;
  set.hooks = {{"blocks.0.hook_resid_post", Matrix{rows, d, {}}}, {"blocks.1.hook_resid_post", Matrix{rows, d, {}}}};
  for (int i = 0; i < rows; ++i) {
    set.items.push_back({"id" + std::to_string(i), {}, i % 2, i < 3 ? "train" : "test", "c", "k" + std::to_string(i / 2)});
    for (auto& h : set.hooks) {
      for (int j = 0; j < d; ++j) h.values.data.push_back(static_cast<float>(i * 10 + j) + (h.name[7] == '1' ? 0.5f : 0));
    }
  }
  return set;
}

std::string TempDir(const std::string& name) {
  const std::string d = (fs::temp_directory_path() / ("warden-shards-" + name)).string();
  fs::remove_all(d);
  return d;
}

TEST(Shards, RoundTripThroughSeveralShardsWithAManifest) {
  const std::string dir = TempDir("round");
  const ActivationSet set = Synthetic(5, 3);
  ASSERT_TRUE(WriteActivationShards(set, dir, 2).ok());
  EXPECT_TRUE(FileExists(dir + "/shard-00002.safetensors"));
  EXPECT_FALSE(FileExists(dir + "/shard-00003.safetensors"));
  ActivationSet back = ReadActivationShards(dir).value();
  ASSERT_EQ(back.items.size(), 5u);
  EXPECT_EQ(back.items[4].id, "id4");
  EXPECT_EQ(back.items[3].split, "test");
  EXPECT_EQ(back.items[3].cluster, "k1");
  EXPECT_EQ(back.items[3].label, 1);
  EXPECT_EQ(back.rule, PositionRule::kLastPrompt);
  EXPECT_EQ(back.model_sha256, set.model_sha256);
  ASSERT_EQ(back.hooks.size(), 2u);
  EXPECT_EQ(back.hooks[1].values.data, set.hooks[1].values.data);
  fs::remove_all(dir);
}

TEST(Shards, AnInterruptedOrTamperedDatasetIsAnError) {
  const std::string dir = TempDir("broken");
  ASSERT_TRUE(WriteActivationShards(Synthetic(5, 3), dir, 2).ok());
  fs::copy_file(dir + "/shard-00002.safetensors", dir + "/shard-00003.safetensors");
  auto extra = ReadActivationShards(dir);
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("4 shard files, the manifest lists 3"), std::string::npos);
  fs::remove(dir + "/shard-00003.safetensors");
  fs::remove(dir + "/manifest.json");  // what a capture killed before its end leaves
  auto interrupted = ReadActivationShards(dir);
  ASSERT_FALSE(interrupted.ok());
  EXPECT_NE(interrupted.status().message().find("interrupted capture"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Shards, AnExistingDatasetIsReplacedOnlyWhenAskedTo) {
  const std::string dir = TempDir("existing");
  ASSERT_TRUE(WriteActivationShards(Synthetic(5, 3), dir, 2).ok());
  auto again = WriteActivationShards(Synthetic(2, 3), dir, 2);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("already holds an activation dataset"), std::string::npos);
  ASSERT_TRUE(WriteActivationShards(Synthetic(2, 3), dir, 2, /*overwrite=*/true).ok());
  EXPECT_FALSE(FileExists(dir + "/shard-00001.safetensors"));  // no stale shard left to mix in
  EXPECT_EQ(ReadActivationShards(dir).value().items.size(), 2u);
  fs::remove_all(dir);
}

TEST(Shards, CaptureShardByShardEqualsCaptureAtOnce) {
  const std::string shared = WARDEN_SHARED_DIR;
  WARDEN_NEED_SHARED(shared + "/models/stories260K/stories260K.bin", shared + "/models/stories260K/tok512.bin");
  auto lm = engine::LanguageModel::Load({shared + "/models/stories260K/stories260K.bin",
                                         shared + "/models/stories260K/tok512.bin"})
                .value();
  std::vector<LabelledConversation> data;
  const char* texts[] = {"Once upon a time", "The dog", "A cat sat", "She ran home", "The sun was hot"};
  for (int i = 0; i < 5; ++i) data.push_back({"c" + std::to_string(i), {{"user", texts[i]}, {"assistant", "and then it ended."}}, i % 2, "train", "", ""});
  CaptureOptions o;
  o.chat_format = "none";
  std::vector<size_t> progress;
  o.progress = [&](size_t done, size_t total) {
    EXPECT_EQ(total, 5u);
    progress.push_back(done);
  };
  const std::string dir = TempDir("capture");
  const int64_t rows = CaptureToShards(*lm, data, "blocks.*.hook_resid_post", PositionRule::kResponseMean, dir, 2, o).value();
  EXPECT_EQ(rows, 5);
  EXPECT_EQ(progress.back(), 5u);  // over the whole dataset, not per shard
  ActivationSet back = ReadActivationShards(dir).value();
  o.progress = nullptr;
  ActivationSet at_once = CaptureActivations(*lm, data, "blocks.*.hook_resid_post", PositionRule::kResponseMean, o).value();
  ASSERT_EQ(back.hooks.size(), at_once.hooks.size());
  for (size_t h = 0; h < back.hooks.size(); ++h) {
    ASSERT_EQ(back.hooks[h].values.data.size(), at_once.hooks[h].values.data.size());
    for (size_t i = 0; i < back.hooks[h].values.data.size(); ++i) {
      EXPECT_NEAR(back.hooks[h].values.data[i], at_once.hooks[h].values.data[i], 1e-4) << back.hooks[h].name << " " << i;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace warden::interp
