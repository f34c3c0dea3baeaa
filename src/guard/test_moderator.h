// Test support for guard and gateway: a moderator directory written by hand, so that its scores
// are known exactly. Label S9 scores 8 * count("sarin") - 4 and label "harassment"
// 8 * count("idiot") - 4 (logits, threshold 0, over 64 word buckets); every other label is
// unscored.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "warden/base/file.h"
#include "warden/interp/activations.h"
#include "warden/interp/monitor_pack.h"
#include "warden/interp/text_monitor.h"

namespace warden::guard::testing {

inline interp::MonitorPack WordPack(const std::string& name, const std::string& word) {
  constexpr int64_t kWidth = 64;
  const interp::Matrix m = interp::BagOfWords({word}, kWidth);
  interp::MonitorPack p;
  p.name = name;
  p.hook = interp::kBagOfWordsHook;
  p.position = interp::PositionRule::kLastPrompt;
  p.probe.mean.assign(kWidth, 0);
  p.probe.scale.assign(kWidth, 1);
  p.probe.weight.assign(kWidth, 0);
  for (int64_t j = 0; j < kWidth; ++j) p.probe.weight[j] = 8 * m.data[j];
  p.probe.bias = -4;
  p.threshold = 0;
  return p;
}

inline void WriteTestModerator(const std::string& dir) {
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(interp::WriteMonitorPack(WordPack("moderation-S9", "sarin"), dir + "/S9.safetensors").ok());
  ASSERT_TRUE(interp::WriteMonitorPack(WordPack("moderation-harassment", "idiot"), dir + "/harassment.safetensors").ok());
  const nlohmann::json manifest = {{"format", "warden-moderation/1"},
                                   {"labels",
                                    {{"S9", {{"pack", "S9.safetensors"}}},
                                     {"harassment", {{"pack", "harassment.safetensors"}}}}}};
  ASSERT_TRUE(WriteFileAtomic(dir + "/moderation.json", manifest.dump(1)).ok());
}

}  // namespace warden::guard::testing
