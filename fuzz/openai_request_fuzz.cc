// libFuzzer target for what `warden serve` does with a request body before anything reaches
// the guard (include/warden/base/openai_api.h): the first byte picks the route (chat
// completions, completions, moderations); the rest is the body. Any bytes must give a typed
// request or an error naming a parameter, never a crash, a hang or an exception; a parsed chat
// request must round-trip through ToJson to the same request.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "warden/base/json.h"
#include "warden/base/openai_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::openai;
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto j = warden::ParseJson(body, "request body");
  if (!j.ok()) return 0;
  switch (data[0] % 3) {
    case 0: {
      ChatCompletionRequest r;
      if (auto e = ParseChatCompletionRequest(*j, &r)) {
        warden::fuzz::Require(!e->message.empty());
        warden::fuzz::Require(e->param.empty() || e->message.rfind(e->param, 0) == 0);
        return 0;
      }
      warden::fuzz::Require(!r.messages.empty() && !r.model.empty());
      ChatCompletionRequest again;
      warden::fuzz::Require(!ParseChatCompletionRequest(r.ToJson(), &again).has_value());
      warden::fuzz::Require(again.messages.size() == r.messages.size() && again.model == r.model &&
                            again.max_tokens == r.max_tokens && again.stop == r.stop && again.stream == r.stream);
      return 0;
    }
    case 1: {
      CompletionRequest r;
      if (auto e = ParseCompletionRequest(*j, &r)) return 0;
      warden::fuzz::Require(!r.prompt.empty() && r.max_tokens >= 1);
      return 0;
    }
    default: {
      std::vector<std::string> inputs;
      if (auto e = ParseModerationInput(*j, &inputs)) return 0;
      warden::fuzz::Require(!inputs.empty());
      return 0;
    }
  }
}
