// The hook contract: every documented hook fires exactly once per forward with its documented
// shape, for every architecture, in prefill and in decode; unknown names are errors; writes
// change the computation; nothing survives a throwing forward.
#include "warden/engine/torch/hooks.h"

#include <map>

#include "engine/test_util.h"
#include "engine/torch_pch.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {
namespace {

using testing::TinyConfig;

class HooksPerArch : public ::testing::TestWithParam<Arch> {};

std::vector<std::vector<int32_t>> Prompts() { return {{1, 5, 9, 2, 7}, {3, 4, 8}}; }

TEST_P(HooksPerArch, EveryHookFiresOnceWithItsDocumentedShape) {
  ModelConfig c = TinyConfig(GetParam());
  auto model = Model::RandomInit(c, /*seed=*/1);
  const HookPoints& points = model->hook_points();
  std::map<std::string, int> fired;
  std::map<std::string, std::vector<int64_t>> shapes;
  Hooks hooks(points);
  ASSERT_TRUE(hooks.Add("*", [&](torch::Tensor& act, const HookEvent& ev) {
    ++fired[ev.name];
    shapes[ev.name] = act.sizes().vec();
  }).ok());

  KvCache cache = model->NewCache(2, 16);
  ForwardBatch prefill = ForwardBatch::LeftPadded(Prompts());
  model->Forward(prefill, &cache, &hooks);
  const std::vector<std::string> names = points.AllNames();
  ASSERT_FALSE(names.empty());
  for (const std::string& name : names) {
    int id = points.Find(name).value();
    EXPECT_EQ(fired[name], 1) << name << " in prefill";
    EXPECT_EQ(shapes[name], points.Shape(id, 2, 5, 5)) << name << " in prefill";
  }
  EXPECT_EQ(fired.size(), names.size()) << "a hook fired that is not in the table";

  // One decode step: pos is 1, k_pos covers the cache.
  fired.clear();
  ForwardBatch step{torch::tensor({{6}, {6}}, torch::kLong), torch::tensor({{5}, {3}}, torch::kLong),
                    torch::ones({2, 1}, torch::kBool)};
  model->Forward(step, &cache, &hooks);
  for (const std::string& name : names) {
    int id = points.Find(name).value();
    EXPECT_EQ(fired[name], 1) << name << " in decode";
    EXPECT_EQ(shapes[name], points.Shape(id, 2, 1, 6)) << name << " in decode";
  }
}

TEST_P(HooksPerArch, TableHasTheArchitecturesNames) {
  ModelConfig c = TinyConfig(GetParam());
  HookPoints points(c);
  bool rotary = c.arch != Arch::kGpt2;
  EXPECT_EQ(points.Find("blocks.1.attn.hook_rot_q").ok(), rotary);
  EXPECT_EQ(points.Find("blocks.0.mlp.hook_pre_linear").ok(), rotary);
  EXPECT_EQ(points.Find("hook_pos_embed").ok(), !rotary);
  EXPECT_TRUE(points.Find("blocks.1.hook_resid_post").ok());
  EXPECT_FALSE(points.Find("blocks.2.hook_resid_post").ok());  // only 2 layers
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, HooksPerArch,
                         ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kGpt2),
                         [](const auto& info) { return std::string(ArchName(info.param)); });

TEST(Hooks, UnknownNamesAndEmptyPatternsAreErrors) {
  HookPoints points(TinyConfig(Arch::kLlama));
  Hooks hooks(points);
  Status s = hooks.Add("blocks.0.hook_resid_prе", [](torch::Tensor&, const HookEvent&) {});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown hook name"), std::string::npos) << s.message();
  EXPECT_FALSE(hooks.Add("blocks.*.hook_nothing", [](torch::Tensor&, const HookEvent&) {}).ok());
  EXPECT_FALSE(hooks.Add("", [](torch::Tensor&, const HookEvent&) {}).ok());
  EXPECT_FALSE(hooks.Add("hook_pos_embed", [](torch::Tensor&, const HookEvent&) {}).ok());
  EXPECT_FALSE(hooks.any());
}

TEST(Hooks, GlobsAndListsMatch) {
  HookPoints points(TinyConfig(Arch::kLlama));
  auto ids = points.Match("blocks.*.hook_resid_post, hook_embed").value();
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(points.Name(ids[0]), "blocks.0.hook_resid_post");
  EXPECT_EQ(points.Name(ids[2]), "hook_embed");
}

TEST(Hooks, UnsubscribedHooksLeaveLogitsUnchanged) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 2);
  ForwardBatch batch = ForwardBatch::LeftPadded(Prompts());
  torch::Tensor plain = model->Forward(batch);
  Hooks hooks(model->hook_points());
  ActivationCache cache;
  ASSERT_TRUE(hooks.Capture("*", &cache).ok());
  torch::Tensor watched = model->Forward(batch, nullptr, &hooks);
  EXPECT_TRUE(torch::allclose(plain, watched, 1e-5, 1e-6));
}

TEST(Hooks, AddVectorAndAblationChangeTheOutput) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 3);
  ForwardBatch batch = ForwardBatch::LeftPadded(Prompts());
  torch::Tensor plain = model->Forward(batch);

  Hooks steer(model->hook_points());
  ASSERT_TRUE(steer.AddVector("blocks.0.hook_resid_post", torch::ones({32}), 4.0).ok());
  EXPECT_FALSE(torch::allclose(plain, model->Forward(batch, nullptr, &steer), 1e-3, 1e-3));

  // Zero-ablating the whole residual stream before the unembedding leaves only the final norm
  // of a zero vector: every position gets the same logits.
  Hooks ablate(model->hook_points());
  ASSERT_TRUE(ablate.ZeroAblate("unembed.hook_in").ok());
  torch::Tensor out = model->Forward(batch, nullptr, &ablate);
  EXPECT_TRUE(torch::allclose(out[0][0], out[1][4]));
  EXPECT_TRUE(torch::allclose(out[0][0], torch::zeros_like(out[0][0])));

  Hooks head(model->hook_points());
  ASSERT_TRUE(head.ZeroAblate("blocks.1.attn.hook_z", 2).ok());
  EXPECT_FALSE(torch::allclose(plain, model->Forward(batch, nullptr, &head), 1e-5, 1e-6));
  EXPECT_FALSE(head.ZeroAblate("blocks.1.hook_resid_pre", 2).ok());  // no head axis
}

TEST(Hooks, PatchingEveryResidualFromASourceRunReproducesItsLogits) {
  auto model = Model::RandomInit(TinyConfig(Arch::kQwen2), 4);
  ForwardBatch source = ForwardBatch::LeftPadded({{1, 2, 3, 4}});
  ForwardBatch target = ForwardBatch::LeftPadded({{9, 8, 7, 6}});
  Hooks capture(model->hook_points());
  ActivationCache cache;
  ASSERT_TRUE(capture.Capture("blocks.1.hook_resid_post", &cache).ok());
  torch::Tensor source_logits = model->Forward(source, nullptr, &capture);

  Hooks patch(model->hook_points());
  ASSERT_TRUE(patch.PatchFrom("blocks.1.hook_resid_post", cache).ok());
  torch::Tensor patched = model->Forward(target, nullptr, &patch);
  EXPECT_TRUE(torch::allclose(patched, source_logits, 1e-5, 1e-5));
  EXPECT_FALSE(patch.PatchFrom("blocks.0.hook_resid_post", cache).ok());  // not captured
}

// Regression: PatchFrom used to keep a reference to the cache and dangle once it was gone.
TEST(Hooks, PatchOutlivesItsSourceCache) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 8);
  ForwardBatch source = ForwardBatch::LeftPadded({{5, 6, 7}});
  Hooks patch(model->hook_points());
  torch::Tensor source_logits;
  {
    ActivationCache cache;
    Hooks capture(model->hook_points());
    ASSERT_TRUE(capture.Capture("blocks.1.hook_resid_post", &cache).ok());
    source_logits = model->Forward(source, nullptr, &capture);
    ASSERT_TRUE(patch.PatchFrom("blocks.1.hook_resid_post", cache).ok());
  }  // the cache is destroyed here
  torch::Tensor patched = model->Forward(ForwardBatch::LeftPadded({{1, 1, 1}}), nullptr, &patch);
  EXPECT_TRUE(torch::allclose(patched, source_logits, 1e-5, 1e-5));
}

TEST(Hooks, NothingSurvivesAForwardThatThrows) {
  auto model = Model::RandomInit(TinyConfig(Arch::kGpt2), 5);
  ForwardBatch batch = ForwardBatch::LeftPadded(Prompts());
  torch::Tensor before = model->Forward(batch);
  {
    Hooks hooks(model->hook_points());
    ASSERT_TRUE(hooks.Add("blocks.0.hook_mlp_out", [](torch::Tensor&, const HookEvent&) {
      throw std::runtime_error("monitor failed");
    }).ok());
    EXPECT_THROW(model->Forward(batch, nullptr, &hooks), std::runtime_error);
  }
  EXPECT_TRUE(torch::equal(before, model->Forward(batch)));
}

TEST(Hooks, AHookThatChangesTheShapeIsAnError) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 6);
  Hooks hooks(model->hook_points());
  ASSERT_TRUE(hooks.Add("blocks.0.hook_resid_mid", [](torch::Tensor& act, const HookEvent&) {
    act = act.narrow(1, 0, 1);
  }).ok());
  EXPECT_THROW(model->Forward(ForwardBatch::LeftPadded(Prompts()), nullptr, &hooks), Error);
}

TEST(Hooks, CaptureDuringGenerationStacksAlongPositions) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 7);
  Hooks hooks(model->hook_points());
  ActivationCache acts;
  ASSERT_TRUE(hooks.Capture("blocks.0.hook_resid_post,blocks.0.attn.hook_pattern", &acts).ok());
  KvCache cache = model->NewCache(1, 8);
  model->Forward(ForwardBatch::LeftPadded({{1, 2, 3}}), &cache, &hooks);
  model->Forward({torch::tensor({{4}}, torch::kLong), torch::tensor({{3}}, torch::kLong),
                  torch::ones({1, 1}, torch::kBool)}, &cache, &hooks);
  EXPECT_EQ(acts.Stacked("blocks.0.hook_resid_post").value().sizes(), (std::vector<int64_t>{1, 4, 32}));
  EXPECT_EQ(acts.Stacked("blocks.0.attn.hook_pattern").value().sizes(), (std::vector<int64_t>{1, 4, 4, 4}));
}

}  // namespace
}  // namespace warden::engine
