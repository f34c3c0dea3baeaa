// The own-answer baseline on a tiny in-memory model: the margins it reads are the model's
// log-probabilities of the two replies (ScoreReplies), judged as OwnAnswerAccuracy judges them.
#include "warden/interp/own_answer.h"

#include <gtest/gtest.h>

#include "interp/test_model.h"
#include "warden/interp/replies.h"

namespace warden::interp {
namespace {

using testing::TinyChatModel;
using testing::Turn;

ContrastPairs Pairs() {
  const char* statements[][2] = {{"The sky is blue.", "The sky is red."},      {"Grass is green.", "Grass is red."},
                                 {"Mira lives in Vell 1.", "Mira lives in Vell 2."}, {"Is the sky blue?", "Is the grass red?"},
                                 {"The grass is red.", "The grass is blue."}, {"Vell 3 is a town.", "Vell 3 is a sky."}};
  ContrastPairs p;
  for (int i = 0; i < 6; ++i) {
    const bool flip = i % 2 == 1;  // the true statement on the second side every other pair
    LabelledConversation a = Turn("p" + std::to_string(i) + "a", statements[i][flip ? 1 : 0]);
    LabelledConversation b = Turn("p" + std::to_string(i) + "b", statements[i][flip ? 0 : 1]);
    a.split = b.split = "test";
    a.category = b.category = i < 3 ? "facts" : "questions";
    a.cluster = b.cluster = "c" + std::to_string(i);
    p.first.push_back(a);
    p.second.push_back(b);
    p.first_is_true.push_back(flip ? 0 : 1);
  }
  return p;
}

TEST(OwnAnswer, IsOwnAnswerAccuracyOnTheModelsOwnMargins) {
  auto lm = TinyChatModel(4);
  ASSERT_NE(lm, nullptr);
  const ContrastPairs pairs = Pairs();
  const std::vector<std::string> replies = {"True.", "False."};
  CaptureOptions o;
  o.chat_format = "auto";
  auto own = OwnAnswerBaseline(*lm, pairs, replies, o, /*seed=*/3);
  ASSERT_TRUE(own.ok()) << own.status().ToString();

  auto margins = [&](const std::vector<LabelledConversation>& side) {
    const std::vector<std::vector<double>> scores = ScoreReplies(*lm, side, replies, o).value();
    std::vector<double> m;
    for (const std::vector<double>& s : scores) m.push_back(s[0] - s[1]);
    return m;
  };
  const PairTestAccuracy want = OwnAnswerAccuracy(margins(pairs.first), margins(pairs.second), pairs, 3).value();
  EXPECT_EQ(own->all.pairs, 6u);
  EXPECT_DOUBLE_EQ(own->all.value, want.all.value);
  EXPECT_DOUBLE_EQ(own->all.ci.low, want.all.ci.low);
  EXPECT_DOUBLE_EQ(own->all.ci.high, want.all.ci.high);
  ASSERT_EQ(own->by_category.size(), 2u);
  EXPECT_DOUBLE_EQ(own->by_category.at("facts").value, want.by_category.at("facts").value);
}

TEST(OwnAnswer, NeedsTwoRepliesAndQuestionsWithoutAnswers) {
  auto lm = TinyChatModel(4);
  ASSERT_NE(lm, nullptr);
  ContrastPairs pairs = Pairs();
  auto one = OwnAnswerBaseline(*lm, pairs, {"True."});
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().message().find("two replies"), std::string::npos);
  pairs.first[0].messages.push_back({"assistant", "Yes."});
  EXPECT_FALSE(OwnAnswerBaseline(*lm, pairs, {"True.", "False."}).ok());  // already answered
}

}  // namespace
}  // namespace warden::interp
