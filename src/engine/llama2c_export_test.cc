// Model::SaveLlama2c: written, read back by the llama2.c reader, the same model; settings the
// format cannot hold are errors.
#include <gtest/gtest.h>

#include "engine/test_util.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {
namespace {

TEST(SaveLlama2c, ReadsBackAsTheSameModelTiedOrNot) {
  for (bool tied : {false, true}) {
    ModelConfig c = testing::TinyConfig(Arch::kLlama);  // grouped-query heads: k rows interleave per kv head
    c.norm_eps = 1e-5;
    c.tied_embeddings = tied;
    auto m = Model::RandomInit(c, 11);
    const std::string path = testing::TempDir("llama2c_export") + (tied ? "/tied.bin" : "/untied.bin");
    ASSERT_TRUE(m->SaveLlama2c(path).ok());
    auto back = Model::Load(path);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ((*back)->config().tied_embeddings, tied);
    c10::InferenceMode guard;
    ForwardBatch fb = ForwardBatch::LeftPadded({{1, 5, 9, 2, 7}}, torch::kCPU);
    EXPECT_LT((m->Forward(fb) - (*back)->Forward(fb)).abs().max().item<float>(), 1e-5f) << (tied ? "tied" : "untied");
  }
}

TEST(SaveLlama2c, SettingsTheFormatCannotHoldAreErrors) {
  const std::string dir = testing::TempDir("llama2c_export_bad");
  ModelConfig c = testing::TinyConfig(Arch::kLlama);  // norm_eps 1e-6
  Status s = Model::RandomInit(c, 1)->SaveLlama2c(dir + "/x.bin");
  EXPECT_NE(s.message().find("norm_eps"), std::string::npos) << s.ToString();
  c = testing::TinyConfig(Arch::kQwen2);
  s = Model::RandomInit(c, 1)->SaveLlama2c(dir + "/y.bin");
  EXPECT_NE(s.message().find("Llama architecture only"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace warden::engine
