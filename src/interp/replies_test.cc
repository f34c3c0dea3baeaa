// ScoreReplies against LanguageModel::Score on hand-encoded tokens (stories260K, no chat format).
#include <gtest/gtest.h>

#include "testing/shared_files.h"
#include "warden/interp/replies.h"

namespace warden::interp {
namespace {

TEST(Replies, ScoreTheReplyAfterThePromptAsEncodedForCapture) {
  const std::string shared = WARDEN_SHARED_DIR;
  WARDEN_NEED_SHARED(shared + "/models/stories260K/stories260K.bin", shared + "/models/stories260K/tok512.bin");
  auto lm = engine::LanguageModel::Load({shared + "/models/stories260K/stories260K.bin",
                                         shared + "/models/stories260K/tok512.bin"})
                .value();
  const std::vector<LabelledConversation> data = {{"a", {{"user", "Once upon a time"}}, 1, "", "", "a"},
                                                  {"b", {{"user", "The dog"}}, 0, "", "", "b"}};
  CaptureOptions o;
  o.chat_format = "none";
  auto scores = ScoreReplies(*lm, data, {"there was a cat.", "ran home."}, o);
  ASSERT_TRUE(scores.ok()) << scores.status().message();
  ASSERT_EQ(scores->size(), 2u);
  ASSERT_EQ((*scores)[1].size(), 2u);
  // Conversation "b", reply "ran home.", by hand: the prompt and a newline, then the reply.
  const engine::Tokenizer& tok = *lm->tokenizer();
  engine::EncodeOptions no_bos;
  no_bos.add_bos = false;
  auto direct = lm->Score({{tok.Encode("The dog\n", {}), tok.Encode("ran home.", no_bos)}}).value();
  EXPECT_NEAR((*scores)[1][1], direct[0].logprob, 1e-4);
  EXPECT_LT((*scores)[0][0], 0);
  EXPECT_NE((*scores)[0][0], (*scores)[0][1]);

  const std::vector<LabelledConversation> answered = {{"c", {{"user", "Hi"}, {"assistant", "Yo"}}, 1, "", "", "c"}};
  auto bad = ScoreReplies(*lm, answered, {"x"}, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("c: ends in an answer"), std::string::npos);
  EXPECT_FALSE(ScoreReplies(*lm, data, {""}, o).ok());
  EXPECT_FALSE(ScoreReplies(*lm, data, {}, o).ok());
}

}  // namespace
}  // namespace warden::interp
