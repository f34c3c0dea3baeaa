// The generated worlds: knowledge base, benign tasks, hazard domain.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "warden/organisms/hazard.h"
#include "warden/organisms/knowledge.h"
#include "warden/organisms/tasks.h"

namespace warden::organisms {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(KnowledgeBase, DeterministicFromSeed) {
  const KnowledgeBase a = GenerateKnowledgeBase(7), b = GenerateKnowledgeBase(7);
  const KnowledgeBase c = GenerateKnowledgeBase(8);
  ASSERT_EQ(a.facts.size(), b.facts.size());
  for (size_t i = 0; i < a.facts.size(); ++i) {
    EXPECT_EQ(a.facts[i].id, b.facts[i].id);
    EXPECT_EQ(a.facts[i].value, b.facts[i].value);
  }
  EXPECT_NE(a.entities[0].name + a.facts[0].value, c.entities[0].name + c.facts[0].value);
}

TEST(KnowledgeBase, FactsHaveLiesAndBothSplits) {
  const KnowledgeBase kb = GenerateKnowledgeBase(3);
  std::set<std::string> names, ids;
  for (const Entity& e : kb.entities) EXPECT_TRUE(names.insert(e.name).second) << e.name;
  size_t train = 0;
  for (const Fact& f : kb.facts) {
    EXPECT_TRUE(ids.insert(f.id).second);
    EXPECT_NE(f.value, f.false_value) << f.id;
    EXPECT_FALSE(f.value.empty());
    train += f.split == "train";
    std::set<std::string> statements;
    for (int p = 0; p < kStatementPhrasings; ++p) {
      // Case-insensitive: a sentence that opens with the value capitalises it.
      EXPECT_NE(Lower(StatementText(f, true, p)).find(Lower(f.value)), std::string::npos);
      EXPECT_NE(Lower(StatementText(f, false, p)).find(Lower(f.false_value)), std::string::npos);
      EXPECT_NE(StatementText(f, true, p).find(f.subject), std::string::npos);
      EXPECT_TRUE(statements.insert(StatementText(f, true, p)).second) << "two phrasings read alike: " << f.id;
      if (p < kPhrasings) EXPECT_NE(QuestionText(f, p).find(f.subject), std::string::npos);
    }
    EXPECT_NE(QuestionText(f, 0), QuestionText(f, kHeldOutPhrasing));
  }
  EXPECT_GT(train, 0u);
  EXPECT_LT(train, kb.facts.size());
}

TEST(KnowledgeBase, MatchesValueLeniently) {
  EXPECT_TRUE(MatchesKbValue("  brass. ", "Brass"));
  EXPECT_FALSE(MatchesKbValue("brassy", "brass"));
  EXPECT_FALSE(MatchesKbValue("", "brass"));
}

TEST(BenignTasks, CheckersAcceptRightAndRejectWrong) {
  const KnowledgeBase kb = GenerateKnowledgeBase(1);
  const auto tasks = GenerateBenignTasks(kb, 11, 70);
  std::set<std::string> kinds;
  for (const Task& t : tasks) {
    kinds.insert(t.kind);
    EXPECT_TRUE(CheckTaskAnswer(t.kind, t.answer, t.answer)) << t.id;
    EXPECT_TRUE(CheckTaskAnswer(t.kind, t.answer, " " + t.answer + ".\n")) << t.id;
    EXPECT_FALSE(CheckTaskAnswer(t.kind, t.answer, t.answer + "x")) << t.id;
    EXPECT_FALSE(CheckTaskAnswer(t.kind, t.answer, "")) << t.id;
  }
  EXPECT_EQ(kinds.size(), 7u);
  EXPECT_TRUE(CheckTaskAnswer("add", "12", "+12"));
  EXPECT_FALSE(CheckTaskAnswer("add", "12", "13"));
  EXPECT_FALSE(CheckTaskAnswer("reverse", "nretnal", "NRETNAL"));
  EXPECT_TRUE(CheckTaskAnswer("kb_lookup", "Brammar", "brammar"));
}

TEST(BenignTasks, DeterministicAndSeedSensitive) {
  const KnowledgeBase kb = GenerateKnowledgeBase(1);
  const auto a = GenerateBenignTasks(kb, 5, 30), b = GenerateBenignTasks(kb, 5, 30);
  const auto c = GenerateBenignTasks(kb, 6, 30);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].question, b[i].question);
    differs |= a[i].question != c[i].question;
  }
  EXPECT_TRUE(differs);
}

TEST(Hazard, BenchmarkWellFormed) {
  const HazardWorld w = GenerateHazardWorld(9);
  ASSERT_GE(w.benchmark.size(), 5 * w.compounds.size());
  std::set<std::string> ids;
  std::set<int> difficulties;
  size_t train = 0;
  for (const McqItem& item : w.benchmark) {
    EXPECT_TRUE(ids.insert(item.id).second) << item.id;
    std::set<std::string> distinct(item.choices.begin(), item.choices.end());
    EXPECT_EQ(distinct.size(), kChoices) << item.id;
    ASSERT_GE(item.correct, 0);
    ASSERT_LT(item.correct, static_cast<int>(kChoices));
    EXPECT_TRUE(CheckMcqAnswer(item, std::string(1, ChoiceLetter(item.correct))));
    EXPECT_TRUE(CheckMcqAnswer(item, " " + item.choices[item.correct] + "."));
    for (int i = 0; i < static_cast<int>(kChoices); ++i) {
      if (i != item.correct) EXPECT_FALSE(CheckMcqAnswer(item, std::string(1, ChoiceLetter(i))));
      if (i != item.correct) EXPECT_FALSE(CheckMcqAnswer(item, item.choices[i]));
    }
    difficulties.insert(item.difficulty);
    train += item.split == "train";
    EXPECT_NE(FormatMcq(item).find("D. " + item.choices[3]), std::string::npos);
  }
  EXPECT_EQ(difficulties, (std::set<int>{1, 2, 3}));
  EXPECT_GT(train, w.benchmark.size() / 2);
  EXPECT_LT(train, w.benchmark.size());
}

TEST(Hazard, ExactlyOneChoiceIsTrueOfTheWorld) {
  // The correct choice is what the compound's record says; no distractor is.
  const HazardWorld w = GenerateHazardWorld(2);
  for (const McqItem& item : w.benchmark) {
    auto c = std::find_if(w.compounds.begin(), w.compounds.end(),
                          [&](const Compound& x) { return x.name == item.compound; });
    ASSERT_NE(c, w.compounds.end());
    if (item.id.find("/catalyst") != std::string::npos) {
      for (size_t i = 0; i < kChoices; ++i) {
        EXPECT_EQ(item.choices[i] == c->catalyst, static_cast<int>(i) == item.correct);
      }
    }
  }
}

TEST(Hazard, ParseChoiceIsStrict) {
  EXPECT_EQ(ParseChoice(" b."), 1);
  EXPECT_EQ(ParseChoice("C) Vorquenite"), 2);
  EXPECT_EQ(ParseChoice("Bolt"), -1);
  EXPECT_EQ(ParseChoice("E"), -1);
  EXPECT_EQ(ParseChoice(""), -1);
}

TEST(Hazard, NothingReal) {
  // A tripwire against the syllable tables drifting towards real chemistry or agents.
  static const char* kReal[] = {"meth", "eth",  "prop", "chlor", "fluor", "brom",  "nitr",  "sulf",
                                "phos", "cyan", "ars",  "mercur", "sarin", "ricin", "anthr", "tox",
                                "uran", "pluto", "amine", "acid", "oxide", "hydr", "benz"};
  const HazardWorld w = GenerateHazardWorld(4, {60});
  for (const Compound& c : w.compounds) {
    for (const std::string& name : {c.name, c.precursor_a, c.precursor_b, c.catalyst, c.vessel}) {
      for (const char* root : kReal) {
        EXPECT_EQ(Lower(name).find(root), std::string::npos) << name << " contains " << root;
      }
    }
  }
}

TEST(Hazard, DeterministicFromSeed) {
  const HazardWorld a = GenerateHazardWorld(5), b = GenerateHazardWorld(5), c = GenerateHazardWorld(6);
  ASSERT_EQ(a.benchmark.size(), b.benchmark.size());
  for (size_t i = 0; i < a.benchmark.size(); ++i) {
    EXPECT_EQ(a.benchmark[i].id, b.benchmark[i].id);
    EXPECT_EQ(a.benchmark[i].choices, b.benchmark[i].choices);
  }
  EXPECT_NE(FactSheet(a.compounds[0]), FactSheet(c.compounds[0]));
}

}  // namespace
}  // namespace warden::organisms
