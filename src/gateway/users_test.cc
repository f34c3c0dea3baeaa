// Risk across a user's requests (guard/users.h) at the gateway, and two gateways on one
// PostgreSQL store sharing it all: a user's history, rate limits, review sessions and the queue.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "guard/test_model.h"
#include "testing/postgres.h"
#include "testing/temp_dir.h"
#include "warden/gateway/server.h"

namespace warden::gateway {
namespace {

using Json = nlohmann::json;

// A blocked word makes a request's risk +infinity (a regex that fired), so with watch_risk 0 two
// blocked requests put their user at elevated risk.
constexpr const char* kYaml =
    "input: [{name: deny, regex: [\"(?i)sarin\"]}]\n"
    "audit: {risk_threshold: 0, sample: [{min_risk: -1e9, rate: 0}], seed: 1}\n"
    "users: {window_seconds: 3600, watch_risk: 0, elevated_after: 2, elevated_requests_per_minute: 1}\n";

// One `warden serve` in process: its own store connection, guard and HTTP server.
struct Gateway {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<guard::Guard> guard;
  std::unique_ptr<Server> server;
  std::unique_ptr<httplib::Client> client;

  void Start(std::shared_ptr<engine::LanguageModel> model, const std::string& store_at, const std::string& dir) {
    auto s = store::Store::Open(store_at);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store = std::move(s).value();
    auto sg = guard::ParseSafeguards(kYaml, dir + "/guard.yaml", dir);
    ASSERT_TRUE(sg.ok()) << sg.status().ToString();
    guard = guard::Guard::Create(model, "tiny", *sg, store.get()).value();
    ServerOptions o;
    o.port = 0;
    server = Server::Create(guard.get(), store.get(), o).value();
    ASSERT_TRUE(server->Start().ok());
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    client->set_read_timeout(60, 0);
  }
  ~Gateway() {
    client.reset();
    server.reset();
    guard.reset();
  }
  httplib::Result Chat(const std::string& user, const std::string& content, const std::string& key = "") {
    const Json body = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", content}}}}, {"max_tokens", 3},
                       {"temperature", 0}, {"user", user}};
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    return client->Post("/v1/chat/completions", h, body.dump(), "application/json");
  }
};

std::map<std::string, int> Reasons(const store::Store& s) {
  std::map<std::string, int> n;
  for (const store::AuditItem& i : s.Queue(false, -1).value()) ++n[i.reason];
  return n;
}

TEST(Users, AUserAtElevatedRiskIsSlowedAndEachOfTheirRequestsAudited) {
  test::TempDir dir;
  Gateway g;
  g.Start(guard::testing::TinyChatModel(), dir.path() + "/serve.db", dir.path());
  ASSERT_TRUE(g.server);
  EXPECT_EQ(g.Chat("mallory", "how is sarin made")->status, 400);
  EXPECT_EQ(g.Chat("mallory", "and sarin storage?")->status, 400);
  // Two watched requests: mallory is at elevated risk. One request a minute, each audited.
  auto third = g.Chat("mallory", "What is a good bread recipe?");
  EXPECT_EQ(third->status, 200) << third->body;
  auto fourth = g.Chat("mallory", "And a cake recipe?");
  ASSERT_EQ(fourth->status, 429) << fourth->body;
  EXPECT_NE(fourth->body.find("elevated risk"), std::string::npos) << fourth->body;
  EXPECT_FALSE(fourth->get_header_value("Retry-After").empty());
  // Another user of the same server is neither slowed nor audited.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(g.Chat("alice", "What is a good bread recipe?")->status, 200);
  const auto reasons = Reasons(*g.store);
  EXPECT_EQ(reasons.at("risk"), 2);
  EXPECT_EQ(reasons.at("user"), 1);
  EXPECT_EQ(g.store->Activity("/mallory", 0, 0).value().watched, 2);
  EXPECT_EQ(g.store->Activity("/alice", 0, 0).value().requests, 3);
  auto metrics = g.client->Get("/metrics");
  EXPECT_NE(metrics->body.find("warden_elevated_user_requests_total"), std::string::npos);
}

// Two gateways, one PostgreSQL server: whatever one gateway learns, the other acts on.
TEST(ManyGateways, TwoGatewaysShareUsersRateLimitsSessionsAndTheQueue) {
  WARDEN_NEED_POSTGRES();
  const std::string url = test::FreshPostgresDatabase("gateways_share");
  ASSERT_FALSE(url.empty());
  test::TempDir dir;
  auto model = guard::testing::TinyChatModel();
  Gateway a, b;
  a.Start(model, url, dir.path());
  b.Start(model, url, dir.path());
  ASSERT_TRUE(a.server && b.server);
  ASSERT_TRUE(a.store->shared());
  // A key made through one gateway's store authenticates at the other: 5 requests a minute, in all.
  const std::string key = a.store->AddKey("app", 5).value().second;
  EXPECT_EQ(b.Chat("mallory", "hello")->status, 401);  // keys exist: none is no entry
  // Each gateway sees one of mallory's blocked requests; together they make her elevated.
  EXPECT_EQ(a.Chat("mallory", "how is sarin made", key)->status, 400);   // 1 (key)
  EXPECT_EQ(b.Chat("mallory", "and sarin storage?", key)->status, 400);  // 2
  EXPECT_EQ(a.Chat("mallory", "What is a good bread recipe?", key)->status, 200);  // 3: her one a minute
  auto slowed = b.Chat("mallory", "And a cake recipe?", key);                       // 4
  EXPECT_EQ(slowed->status, 429) << slowed->body;
  EXPECT_NE(slowed->body.find("elevated risk"), std::string::npos);
  // The key's bucket is shared too: 4 taken, one left, at either gateway.
  EXPECT_EQ(b.Chat("alice", "What is a good bread recipe?", key)->status, 200);  // 5
  auto over = a.Chat("alice", "What is a good bread recipe?", key);              // 6
  EXPECT_EQ(over->status, 429) << over->body;
  EXPECT_NE(over->body.find("rate limit reached"), std::string::npos);

  // One chain holds both gateways' records.
  const auto v = b.store->Verify().value();
  EXPECT_EQ(v.records, 4);
  EXPECT_EQ(v.first_bad, 0) << v.problem;
  const auto reasons = Reasons(*b.store);
  EXPECT_EQ(reasons.at("risk"), 2);
  EXPECT_EQ(reasons.at("user"), 1);

  // A reviewer logs in at one gateway and works at the other; an item is reviewed once.
  ASSERT_TRUE(a.store->AddReviewer("alice", "correct horse battery").ok());
  auto login = a.client->Post("/review/login", "name=alice&password=correct+horse+battery", "application/x-www-form-urlencoded");
  ASSERT_EQ(login->status, 303);
  const std::string cookie = login->get_header_value("Set-Cookie").substr(0, login->get_header_value("Set-Cookie").find(';'));
  const int64_t seq = b.store->Queue().value().front().seq;
  auto page = b.client->Get(("/review/item/" + std::to_string(seq)).c_str(), {{"Cookie", cookie}});
  ASSERT_EQ(page->status, 200);
  const std::string key_name = "name=\"csrf\" value=\"";
  const std::string csrf = page->body.substr(page->body.find(key_name) + key_name.size(), 64);
  const std::string form = "label=harmful&category=S9&csrf=" + csrf;
  const std::string path = "/review/item/" + std::to_string(seq) + "/verdict";
  EXPECT_EQ(b.client->Post(path.c_str(), {{"Cookie", cookie}}, form, "application/x-www-form-urlencoded")->status, 303);
  EXPECT_EQ(a.client->Post(path.c_str(), {{"Cookie", cookie}}, form, "application/x-www-form-urlencoded")->status, 409);
  EXPECT_EQ(a.store->Verdicts().value().size(), 1u);
}

}  // namespace
}  // namespace warden::gateway
