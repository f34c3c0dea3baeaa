// libFuzzer target for the policy module's two parsers (include/warden/policy/): the first byte
// picks the policy YAML or the evidence JSON parser; any bytes must give a result or an error
// naming the source, never a crash, a hang or an exception. A parsed policy must decide on empty
// evidence; parsed evidence must be checked and decided on by the default policy, and the
// decision must be a pure function of its inputs.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "warden/policy/decision.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::policy;
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckOptions options;
  options.now_unix = 1796000000;  // 2026-11-30T00:53:20Z
  options.verify_sources = false;  // nothing is read from disk
  if (data[0] % 2 == 0) {
    auto p = ParsePolicy(text, "fuzz.yaml");
    if (!p.ok()) {
      warden::fuzz::Require(p.status().message().rfind("fuzz.yaml", 0) == 0);
      return 0;
    }
    warden::fuzz::Require(p->FindLevel(p->base_level) != nullptr);
    const DecisionRecord r = Decide(*p, EvidenceBundle{}, options);
    // With no evidence at all, a policy with any domain fails closed.
    warden::fuzz::Require(p->domains.empty() || r.decision == Decision::kPauseTraining);
    return 0;
  }
  auto e = ParseEvidence(text, "fuzz.json", "/nonexistent");
  if (!e.ok()) {
    warden::fuzz::Require(e.status().message().rfind("fuzz.json", 0) == 0);
    return 0;
  }
  static const Policy policy = ParsePolicy(DefaultPolicyYaml(), "default").value();
  const DecisionRecord a = Decide(policy, *e, options);
  const DecisionRecord b = Decide(policy, *e, options);
  warden::fuzz::Require(DecisionToJson(a).dump() == DecisionToJson(b).dump());
  Explain(policy, *e, options);
  return 0;
}
