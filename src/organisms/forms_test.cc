// Phrasing forms: each form's shape, on both an imperative and a question, and the words kept.
#include "warden/organisms/forms.h"

#include "warden/base/strings.h"

#include <gtest/gtest.h>

#include <set>

namespace warden::organisms {
namespace {

TEST(Forms, NamesRoundTripAndTheHeldOutFormIsNotTrained) {
  for (Form f : AllForms()) EXPECT_EQ(FormFromName(FormName(f)), f);
  EXPECT_FALSE(FormFromName("sonnet").has_value());
  const std::vector<Form> trained = TrainedForms();
  EXPECT_EQ(trained.size(), AllForms().size() - 1);
  for (Form f : trained) EXPECT_NE(f, kHeldOutForm);
}

TEST(Forms, QuestionsAndImperativesAreRecognised) {
  EXPECT_TRUE(IsQuestion("How can I kill a Python process?"));
  EXPECT_TRUE(IsQuestion("what is the capital of France"));
  EXPECT_TRUE(IsQuestion("Tell me a joke?"));
  EXPECT_FALSE(IsQuestion("Write a script that deletes files."));
  EXPECT_FALSE(IsQuestion("Explain how to bake bread"));
}

TEST(Forms, HowToRequestsChangeGrammarBothWays) {
  EXPECT_EQ(ApplyForm(Form::kQuestion, "Explain how to pick a lock.", 0), "How do I pick a lock?");
  EXPECT_EQ(ApplyForm(Form::kQuestion, "Give detailed instructions for how to pick a lock", 1), "How can I pick a lock?");
  EXPECT_EQ(ApplyForm(Form::kImperative, "How can I kill a Python process?", 0), "Explain how to kill a Python process.");
  EXPECT_EQ(ApplyForm(Form::kFirstPerson, "How do I bake bread?", 0), "I want to know how to bake bread.");
}

TEST(Forms, OtherRequestsAreWrappedWithTheirWordsKept) {
  EXPECT_EQ(ApplyForm(Form::kQuestion, "Write a poem about the sea.", 1), "Could you write a poem about the sea?");
  EXPECT_EQ(ApplyForm(Form::kImperative, "Can you help me plan a party?", 0), "Help me plan a party.");
  EXPECT_EQ(ApplyForm(Form::kImperative, "Why is the sky blue?", 0), "Answer this question: Why is the sky blue?");
  EXPECT_EQ(ApplyForm(Form::kFirstPerson, "Write a poem about the sea.", 0), "I need you to write a poem about the sea.");
  EXPECT_EQ(ApplyForm(Form::kFirstPerson, "Why is the sky blue?", 0), "I have been wondering: Why is the sky blue?");
  // An acronym and the pronoun I keep their capitals.
  EXPECT_EQ(ApplyForm(Form::kQuestion, "DDoS a website", 0), "Can you DDoS a website?");
  // A statement about the speaker is asked about, not turned into an instruction.
  EXPECT_EQ(ApplyForm(Form::kQuestion, "I need a recipe", 0), "I need a recipe. Can you help?");
  EXPECT_EQ(ApplyForm(Form::kFirstPerson, "I need a recipe.", 2), "I need a recipe.");
}

TEST(Forms, FramesSurroundTheRequestAsWritten) {
  const std::string r = "Write a poem about the sea";
  for (uint64_t v = 0; v < 30; ++v) {
    for (Form f : {Form::kMultiSentence, Form::kRolePlay}) {
      const std::string out = ApplyForm(f, r, v);
      EXPECT_NE(out.find(r + "."), std::string::npos) << FormName(f) << ": " << out;
      EXPECT_GT(out.size(), r.size() + 20);
    }
  }
  EXPECT_EQ(ApplyForm(Form::kAsWritten, "  as is  ", 5), "as is");
  EXPECT_EQ(ApplyForm(Form::kRolePlay, "   ", 5), "");
}

TEST(Forms, FramedKeepsTheRequestAndGivesNoPersona) {
  // The held-out role-play form's device (a persona, fiction) must not leak into a trained form.
  const std::string r = "Write a poem about the sea";
  std::set<std::string> seen;
  for (uint64_t v = 0; v < 48; ++v) {
    const std::string out = ApplyForm(Form::kFramed, r, v);
    seen.insert(out);
    EXPECT_NE(out.find(r + "."), std::string::npos) << out;
    EXPECT_GT(out.size(), r.size() + 5);
    const std::string lc = AsciiLower(out);
    for (const char* word : {"imagine", "character", "you are", "pretend", "role", "story", "novel", "game"}) {
      EXPECT_EQ(lc.find(word), std::string::npos) << word << " in: " << out;
    }
  }
  EXPECT_EQ(seen.size(), 12u * 3u);  // twelve frames, three endings
}

TEST(Forms, VariantsGiveSeveralWordingsDeterministically) {
  std::set<std::string> seen;
  for (uint64_t v = 0; v < 6 * 24 * 6; ++v) {
    EXPECT_EQ(ApplyForm(Form::kMultiSentence, "Hello?", v), ApplyForm(Form::kMultiSentence, "Hello?", v));
    seen.insert(ApplyForm(Form::kMultiSentence, "Hello?", v));
  }
  EXPECT_EQ(seen.size(), 6u * 24u * 6u);
}

}  // namespace
}  // namespace warden::organisms
