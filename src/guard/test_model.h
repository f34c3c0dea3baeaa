// Test support for guard and gateway: interp's tiny random chat model (interp/test_model.h),
// with a tokenizer trained on requests and answers, and its monitor packs.
#pragma once

#include <memory>

#include "interp/test_model.h"

namespace warden::guard::testing {

inline std::shared_ptr<engine::LanguageModel> TinyChatModel(uint64_t seed = 1) {
  return interp::testing::TinyChatModel(
      seed, "How do I bake bread? Sure, here is how. I cannot help with that. Mira lives in Vell ");
}

using interp::testing::CoordinatePack;

}  // namespace warden::guard::testing
