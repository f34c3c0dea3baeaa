// The JSONL readers of labelled conversations and contrast pairs: fields, defaults, the hidden
// order of each pair, and errors that name the line and the field.
#include <gtest/gtest.h>

#include "warden/interp/datasets.h"

namespace warden::interp {
namespace {

std::string ErrorOf(const Status& s) { return s.ok() ? "ok" : s.message(); }

TEST(LabelledConversations, ReadsFieldsAndDefaults) {
  auto rows = ParseLabelledConversations(
      R"({"id":"a","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"label":1,"split":"train","category":"c","cluster":"k"})"
      "\n\n"
      R"({"id":"b","messages":[{"role":"user","content":"q"}]})"
      "\n",
      "d.jsonl");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].label, 1);
  EXPECT_EQ((*rows)[0].cluster, "k");
  EXPECT_EQ((*rows)[0].messages.size(), 2u);
  EXPECT_EQ((*rows)[1].label, -1);  // unlabelled
  EXPECT_EQ((*rows)[1].cluster, "b");
  EXPECT_EQ((*rows)[1].split, "");
}

TEST(LabelledConversations, ErrorsNameLineAndField) {
  const std::string m = R"("messages":[{"role":"user","content":"q"}])";
  EXPECT_EQ(ErrorOf(ParseLabelledConversations("{\"id\":\"a\"," + m + ",\"split\":3}", "d.jsonl").status()),
            "d.jsonl:1: field 'split' is integer, expected string");
  EXPECT_EQ(ErrorOf(ParseLabelledConversations("\n{\"id\":\"a\"," + m + ",\"label\":2}", "d.jsonl").status()),
            "d.jsonl:2: field 'label' must be 0 or 1");
  EXPECT_EQ(ErrorOf(ParseLabelledConversations("{\"id\":\"a\"}", "d.jsonl").status()), "d.jsonl:1: missing list 'messages'");
  EXPECT_EQ(ErrorOf(ParseLabelledConversations("[1]", "d.jsonl").status()), "d.jsonl:1: expected an object");
  EXPECT_NE(ErrorOf(ParseLabelledConversations("{\"id\":", "d.jsonl").status()).find("d.jsonl:1: malformed JSON"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(ParseLabelledConversations(" \n", "d.jsonl").status()), "d.jsonl: no conversations");
}

TEST(ContrastPairs, BothFormsAndABalancedHiddenOrder) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += i % 2 ? R"({"id":"p)" + std::to_string(i) + R"(","input":"Is it?","true":"Yes.","false":"No.","split":"train"})"
                  : R"({"id":"p)" + std::to_string(i) +
                        R"(","true":[{"role":"user","content":"T"}],"false":[{"role":"user","content":"F"}],"cluster":"c"})";
    text += "\n";
  }
  auto pairs = ParseContrastPairs(text, "p.jsonl");
  ASSERT_TRUE(pairs.ok()) << pairs.status().message();
  ASSERT_EQ(pairs->size(), 40u);
  int first_true = 0;
  for (size_t i = 0; i < pairs->size(); ++i) {
    const LabelledConversation &a = pairs->first[i], &b = pairs->second[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.label, pairs->first_is_true[i]);  // label 1 marks the true side
    EXPECT_EQ(b.label, 1 - pairs->first_is_true[i]);
    first_true += pairs->first_is_true[i];
    if (i % 2) {
      EXPECT_EQ(a.messages.size(), 2u);
      EXPECT_EQ(a.messages[1].content, a.label ? "Yes." : "No.");
      EXPECT_EQ(a.split, "train");
    } else {
      EXPECT_EQ(a.messages[0].content, a.label ? "T" : "F");
      EXPECT_EQ(a.cluster, "c");
    }
  }
  EXPECT_GT(first_true, 10);  // the order is hidden and roughly balanced, not always "true first"
  EXPECT_LT(first_true, 30);
}

TEST(ContrastPairs, ByFormKeepTheirOrder) {
  auto pairs = ParseContrastPairs(
      R"({"id":"a","input":"Is the sky green?","yes":"Yes","no":"No","label":0})" "\n"
      R"({"id":"b","yes":[{"role":"user","content":"Grass is green? Yes"}],"no":[{"role":"user","content":"Grass is green? No"}],"label":1})",
      "p.jsonl");
  ASSERT_TRUE(pairs.ok()) << pairs.status().message();
  EXPECT_TRUE(pairs->form_ordered);
  EXPECT_EQ(pairs->first[0].messages[1].content, "Yes");  // the yes side first, whatever the truth
  EXPECT_EQ(pairs->first_is_true[0], 0);
  EXPECT_EQ(pairs->second[0].label, 1);
  EXPECT_EQ(pairs->first_is_true[1], 1);
  EXPECT_EQ(ErrorOf(ParseContrastPairs(R"({"id":"a","input":"q","yes":"Y","no":"N"})", "p.jsonl").status()),
            "p.jsonl:1: field 'label' must be 0 or 1 (1: the 'yes' side is true)");
  EXPECT_EQ(ErrorOf(ParseContrastPairs(R"({"id":"a","input":"q","yes":"Y","no":"N","label":1})" "\n"
                                       R"({"id":"b","input":"q","true":"y","false":"n"})",
                                       "p.jsonl")
                        .status()),
            "p.jsonl:2: a pair by truth (true/false) in a file of pairs by form");
  EXPECT_FALSE(ParseContrastPairs(R"({"id":"a","input":"q","true":"y","false":"n"})", "p.jsonl")->form_ordered);
}

TEST(ContrastPairs, ErrorsNameLineAndField) {
  EXPECT_EQ(ErrorOf(ParseContrastPairs(R"({"id":"a","input":"q","true":"y"})", "p.jsonl").status()),
            "p.jsonl:1: missing field 'false'");
  EXPECT_EQ(ErrorOf(ParseContrastPairs(R"({"id":"a","true":[{"role":"user","content":"T"}],"false":"F"})", "p.jsonl")
                        .status()),
            "p.jsonl:1: missing field 'input'");
  EXPECT_EQ(ErrorOf(ParseContrastPairs(R"({"id":"a","true":[{"role":"user"}],"false":[]})", "p.jsonl").status()),
            "p.jsonl:1: field 'true': missing field 'content'");
  EXPECT_EQ(ErrorOf(ParseContrastPairs(R"({"id":"a","input":"q","true":"y","false":"n","category":[]})", "p.jsonl")
                        .status()),
            "p.jsonl:1: field 'category' is array, expected string");
  EXPECT_EQ(ErrorOf(ParseContrastPairs("", "p.jsonl").status()), "p.jsonl: no contrast pairs");
}

}  // namespace
}  // namespace warden::interp
