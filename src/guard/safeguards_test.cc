#include "warden/guard/safeguards.h"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>

namespace warden::guard {
namespace {

TEST(Safeguards, ParsesEveryFieldAndResolvesPathsAgainstTheFilesDirectory) {
  const char* yaml = R"(
holdback: 4
input:
  - {name: harm-request, probe: packs/harm.safetensors, threshold: 1.5, budget_ms: 20}
  - {name: deny, regex: ["(?i)nerve agent", "sarin"]}
output:
  - {name: harm-output, probe: /abs/out.safetensors, position: last}
store: {hash_only: true}
limits: {max_body_bytes: 4096, max_messages: 8, max_tokens: 64, requests_per_minute: 30, max_batch: 4, request_seconds: 2.5}
users: {window_seconds: 600, watch_risk: -1.5, elevated_after: 3, elevated_requests_per_minute: 2, audit_elevated: false}
)";
  auto g = ParseSafeguards(yaml, "guard.yaml", "/etc/warden");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->holdback, 4);
  ASSERT_EQ(g->input.size(), 2u);
  EXPECT_EQ(g->input[0].probe, "/etc/warden/packs/harm.safetensors");
  EXPECT_TRUE(g->input[0].has_threshold);
  EXPECT_DOUBLE_EQ(g->input[0].threshold, 1.5);
  EXPECT_DOUBLE_EQ(g->input[0].budget_ms, 20);
  EXPECT_EQ(g->input[1].regex.size(), 2u);
  EXPECT_EQ(g->output[0].probe, "/abs/out.safetensors");
  EXPECT_EQ(g->output[0].position, "last");
  EXPECT_TRUE(g->hash_only);
  EXPECT_EQ(g->limits.max_tokens, 64);
  EXPECT_EQ(g->limits.requests_per_minute, 30);
  EXPECT_EQ(g->limits.max_batch, 4);
  EXPECT_DOUBLE_EQ(g->limits.request_seconds, 2.5);
  EXPECT_TRUE(g->users.enabled);
  EXPECT_EQ(g->users.window_seconds, 600);
  EXPECT_DOUBLE_EQ(g->users.watch_risk, -1.5);
  EXPECT_EQ(g->users.elevated_after, 3);
  EXPECT_EQ(g->users.elevated_requests_per_minute, 2);
  EXPECT_FALSE(g->users.audit_elevated);
  EXPECT_EQ(g->sha256.size(), 64u);
}

TEST(Safeguards, AnEmptyFileIsNoSafeguardsWithDefaultLimits) {
  auto g = ParseSafeguards("", "empty.yaml", "");
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->input.empty());
  EXPECT_EQ(g->holdback, 8);
  EXPECT_EQ(g->limits.max_tokens, 512);
  EXPECT_FALSE(g->users.enabled);
}

struct BadCase {
  const char* yaml;
  const char* message;
};
// gtest prints a case as its YAML, not as the bytes of two pointers.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.yaml; }

class SafeguardsErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(SafeguardsErrors, NameTheFileAndTheField) {
  auto g = ParseSafeguards(GetParam().yaml, "guard.yaml", "");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find(GetParam().message), std::string::npos) << g.status().message();
  EXPECT_EQ(g.status().message().rfind("guard.yaml: ", 0), 0u) << g.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SafeguardsErrors,
    ::testing::Values(BadCase{"holdback: -1", "holdback: must be in"}, BadCase{"holdback: many", "holdback: expected an integer"},
                      BadCase{"inputs: []", "inputs: unknown field"},
                      BadCase{"input: {name: x}", "input: expected a list"},
                      BadCase{"input: [{probe: a.safetensors}]", "input[0].name: missing"},
                      BadCase{"input: [{name: x}]", "input[0]: needs exactly one of probe"},
                      BadCase{"input: [{name: x, probe: a, regex: [b]}]", "input[0]: needs exactly one of probe"},
                      BadCase{"output: [{name: x, regex: []}]", "output[0].regex: expected a non-empty list"},
                      BadCase{"output: [{name: x, regex: [\"(unclosed\"]}]", "output[0].regex[0]: not a valid pattern"},
                      BadCase{"output: [{name: x, probe: a, threshold: .nan}]", "output[0].threshold: expected a finite number"},
                      BadCase{"output: [{name: x, regex: [a], threshold: 1}]", "output[0].threshold: only a probe"},
                      BadCase{"output: [{name: x, probe: a, budget_ms: -5}]", "output[0].budget_ms: must be in"},
                      BadCase{"output: [{name: x, probe: a}, {name: x, probe: b}]", "output[1].name: 'x' is used twice"},
                      BadCase{"output: [{name: x, probe: a, colour: red}]", "output[0].colour: unknown field"},
                      BadCase{"limits: {max_tokens: 0}", "limits.max_tokens: must be in"},
                      BadCase{"output: [{name: x, probe: a, position: first}]", "output[0].position: expected last-prompt"},
                      BadCase{"output: [{name: x, regex: [a], position: last}]", "output[0].position: only a probe"},
                      BadCase{"store: {hash_only: perhaps}", "store.hash_only: expected true or false"},
                      BadCase{"users: [1]", "users: expected a mapping"},
                      BadCase{"users: {window: 5}", "users.window: unknown field"},
                      BadCase{"users: {window_seconds: 0}", "users.window_seconds: must be in"},
                      BadCase{"users: {watch_risk: .inf}", "users.watch_risk: expected a finite number"},
                      BadCase{"users: {elevated_after: 0}", "users.elevated_after: must be in"},
                      BadCase{"users: {elevated_requests_per_minute: -1}", "users.elevated_requests_per_minute: must be in"},
                      BadCase{"users: {audit_elevated: sometimes}", "users.audit_elevated: expected true or false"},
                      BadCase{"users: {safeguards: []}", "users.safeguards: expected a non-empty list"},
                      BadCase{"input: [{name: a, regex: [x]}]\nusers: {safeguards: [b]}", "users.safeguards[0]: no safeguard is named 'b'"},
                      BadCase{"input: [{name: a, regex: [x], mode: hide}]", "input[0].mode: expected block or watch"},
                      BadCase{"output: [{name: a, regex: [x], mode: watch}]", "output[0].mode: watch is for input safeguards"},
                      BadCase{"input: [{name: x, probe: a}", "line "}),
    // Each case is named by its index and the message it expects, so ctest lists readable names.
    [](const ::testing::TestParamInfo<BadCase>& info) {
      std::string name = std::to_string(info.index) + "_";
      for (const char* c = info.param.message; *c != '\0'; ++c) name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
      return name;
    });

}  // namespace
}  // namespace warden::guard
