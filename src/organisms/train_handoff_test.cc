// The hand-off between the organisms' data and the trainer: the JSONL an organism's data
// serialises to is what `warden train` reads (engine::ReadTrainJsonl), with the loss on the
// assistant's answers only.
#include <gtest/gtest.h>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/tokenizer.h"
#include "warden/engine/train_data.h"
#include "warden/organisms/organisms.h"

namespace warden::organisms {
namespace {

TEST(TrainHandoff, HonestTrainingDataFeedsTheTrainerWithAssistantOnlyLoss) {
  const std::string shared = WARDEN_SHARED_DIR;
  const std::string vocab = shared + "/tokenizer-vectors/ggml-vocab-phi-3.gguf";
  WARDEN_NEED_SHARED(vocab, shared + "/datasets/xstest/xstest_prompts.csv");
  auto world = BuildWorld(shared, WorldConfig{});
  ASSERT_TRUE(world.ok()) << world.status().ToString();
  OrganismData honest = HonestData(*world);
  ASSERT_FALSE(honest.train.empty());

  std::string path = ::testing::TempDir() + "honest_train_" + std::to_string(::getpid()) + ".jsonl";
  ASSERT_TRUE(WriteFileAtomic(path, ToJsonl(honest.train)).ok());
  // phi-3's vocabulary has warden's turn tokens (<|system|>, <|user|>, <|assistant|>, <|end|>).
  auto tok = engine::LoadTokenizer(vocab);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  auto examples = engine::ReadTrainJsonl(path, engine::ChatFormat::kWarden, **tok);
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  ASSERT_EQ(examples->size(), honest.train.size());

  for (size_t i = 0; i < honest.train.size(); ++i) {
    const engine::TrainExample& ex = (*examples)[i];
    ASSERT_EQ(ex.loss_mask.size(), ex.tokens.size()) << honest.train[i].id;
    std::vector<int32_t> targets;
    for (size_t t = 0; t < ex.tokens.size(); ++t) {
      if (ex.loss_mask[t]) targets.push_back(ex.tokens[t]);
    }
    // The target tokens are the assistant's answer followed by the turn end, and nothing else.
    const std::string answer = honest.train[i].messages.back().content;
    ASSERT_EQ(honest.train[i].messages.back().role, "assistant") << honest.train[i].id;
    EXPECT_EQ((*tok)->Decode(targets), answer + engine::ChatTurnEnd(engine::ChatFormat::kWarden))
        << honest.train[i].id;
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace warden::organisms
