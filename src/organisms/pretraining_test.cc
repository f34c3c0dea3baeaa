// The base model's corpus: what it reads, in what order, up to its budget, and what it never reads.
#include "warden/organisms/pretraining.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/shared_files.h"
#include "warden/organisms/example.h"
#include "warden/organisms/requests.h"

namespace warden::organisms {
namespace {

TEST(Pretraining, ReadsUpToItsBudgetAndNeverAHeldOutOrEvaluatedRequest) {
  WARDEN_NEED_SHARED(test::SharedPath("datasets/hh-rlhf/harmless-base-test.jsonl.gz"));
  const std::string shared = WARDEN_SHARED_DIR;
  auto corpus = LoadPretrainingCorpus(shared, 400000);
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  EXPECT_GE(corpus->bytes, 400000u);
  EXPECT_LT(corpus->bytes, 400000u + 20000u);  // stops at the first document past the budget
  ASSERT_GE(corpus->sources.size(), 2u);
  EXPECT_NE(corpus->sources[0].find("training split"), std::string::npos) << corpus->sources[0];
  EXPECT_NE(corpus->sources[1].find("hh-rlhf"), std::string::npos) << corpus->sources[1];

  auto harmful = LoadHarmfulPrompts(shared);
  auto benign = LoadBenignRequests(shared);
  ASSERT_TRUE(harmful.ok() && benign.ok());
  std::set<std::string> read;
  for (const std::string& t : corpus->texts) read.insert(NormalisePrompt(t));
  size_t trained_read = 0;
  for (const PromptSet* set : {&*harmful, &*benign}) {
    for (const PromptRecord& p : set->prompts) {
      const bool evaluated = p.split != kTrainSplit || IsHeldOutSource(p.dataset);
      if (evaluated) EXPECT_EQ(read.count(NormalisePrompt(p.text)), 0u) << p.dataset << ": " << p.text;
      trained_read += !evaluated && read.count(NormalisePrompt(p.text));
    }
  }
  EXPECT_GT(trained_read, 500u);  // the training-split requests come first
}

TEST(Pretraining, MissingFileIsNamed) {
  auto corpus = LoadPretrainingCorpus("/nonexistent/shared", 1000);
  ASSERT_FALSE(corpus.ok());
  EXPECT_NE(corpus.status().message().find("/nonexistent/shared/datasets/"), std::string::npos)
      << corpus.status().ToString();
}

}  // namespace
}  // namespace warden::organisms
