// libFuzzer target for the safeguards file of `warden serve` (include/warden/guard/safeguards.h):
// any bytes must give safeguards or an error naming the file, never a crash, a hang or an
// exception. Parsed safeguards keep their invariants (a probe or patterns, limits in range).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "warden/guard/safeguards.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto g = warden::guard::ParseSafeguards(text, "fuzz.yaml", "/base");
  if (!g.ok()) {
    warden::fuzz::Require(g.status().message().rfind("fuzz.yaml", 0) == 0);
    return 0;
  }
  warden::fuzz::Require(g->holdback >= 0 && g->limits.max_tokens >= 1 && g->limits.max_batch >= 1);
  for (const auto* stage : {&g->input, &g->output}) {
    for (const auto& s : *stage) warden::fuzz::Require(s.probe.empty() != s.regex.empty() && !s.name.empty());
  }
  return 0;
}
