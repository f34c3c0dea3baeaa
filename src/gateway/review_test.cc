// The reviewer's pages over real HTTP: login, sessions, CSRF, verdicts, the queue shrinking,
// escaping of what users wrote, and the figures and export.
#include <gtest/gtest.h>

#include "gateway/server_fixture.h"
#include "warden/base/html.h"
#include "warden/interp/monitor_pack.h"

namespace warden::gateway {
namespace {

class ReviewTest : public ServerTest {
 protected:
  // A server whose input regex blocks "sarin", every allowed request sampled into the queue.
  void SetUp() override {
    Start("input: [{name: deny, regex: [\"(?i)sarin\"]}]\n"
          "audit: {risk_threshold: 0, sample: [{min_risk: -1e9, rate: 1}], seed: 7}");
    ASSERT_TRUE(store_->AddReviewer("alice", "correct horse battery").ok());
  }
  // Logs in; returns the session cookie ("warden_review=...").
  std::string Login(const std::string& password = "correct horse battery") {
    auto r = client_->Post("/review/login", "name=alice&password=" + httplib::detail::encode_query_param(password),
                           "application/x-www-form-urlencoded");
    EXPECT_TRUE(r);
    if (!r || r->status != 303) return "";
    const std::string set = r->get_header_value("Set-Cookie");
    EXPECT_NE(set.find("HttpOnly"), std::string::npos);
    EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
    return set.substr(0, set.find(';'));
  }
  std::string Csrf(const std::string& page) {
    const std::string key = "name=\"csrf\" value=\"";
    const size_t at = page.find(key);
    return at == std::string::npos ? "" : page.substr(at + key.size(), 64);
  }
  httplib::Result Get(const std::string& path, const std::string& cookie) { return client_->Get(path.c_str(), {{"Cookie", cookie}}); }
  httplib::Result Verdict(int64_t seq, const std::string& cookie, const std::string& form) {
    return client_->Post(("/review/item/" + std::to_string(seq) + "/verdict").c_str(), {{"Cookie", cookie}}, form,
                         "application/x-www-form-urlencoded");
  }
};

TEST_F(ReviewTest, WithoutASessionEveryPageSendsYouToLogIn) {
  for (const char* path : {"/review", "/review/item/1", "/review/stats", "/review/export.jsonl"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 303) << path;
    EXPECT_EQ(r->get_header_value("Location"), "/review/login");
  }
  EXPECT_EQ(Login("wrong password!"), "");
  // Guessing is rate-limited per address: of 12 more wrong attempts in a burst, some are 429.
  int refused = 0;
  for (int i = 0; i < 12; ++i) {
    auto r = client_->Post("/review/login", "name=alice&password=guess" + std::to_string(i), "application/x-www-form-urlencoded");
    refused += r && r->status == 429;
  }
  EXPECT_GE(refused, 2);
  EXPECT_EQ(Get("/review", "warden_review=" + std::string(64, 'a'))->status, 303);  // a forged session
  auto post = Verdict(1, "", "label=benign");
  EXPECT_EQ(post->status, 401);
  // An API key does not open the pages, and a review session does not call the API.
  auto api = Chat(Body(false), {{"Cookie", Login()}});
  EXPECT_EQ(api->status, 200);  // this server has no API keys: the cookie changed nothing
}

TEST_F(ReviewTest, AReviewerGivesVerdictsAndTheQueueShrinks) {
  ASSERT_EQ(Chat(Body(false, 4, "Tell me about <script>alert(1)</script> bread"))->status, 200);
  ASSERT_EQ(Chat(Body(false, 4, "how is sarin made"))->status, 400);
  const std::string cookie = Login();
  ASSERT_FALSE(cookie.empty());
  auto queue = Get("/review", cookie);
  ASSERT_EQ(queue->status, 200);
  EXPECT_NE(queue->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(queue->body.find("<span id=\"open-count\">2</span>"), std::string::npos) << queue->body;
  // The blocked request (risk +inf) comes first; what the user wrote is escaped everywhere.
  EXPECT_LT(queue->body.find("/review/item/2"), queue->body.find("/review/item/1"));
  EXPECT_EQ(queue->body.find("<script>"), std::string::npos);
  EXPECT_NE(queue->body.find("&lt;script&gt;"), std::string::npos);

  auto item = Get("/review/item/1", cookie);
  ASSERT_EQ(item->status, 200);
  EXPECT_EQ(item->body.find("<script>"), std::string::npos);
  const std::string csrf = Csrf(item->body);
  ASSERT_EQ(csrf.size(), 64u);
  // Without the session's CSRF token, nothing is stored.
  EXPECT_EQ(Verdict(1, cookie, "label=benign")->status, 403);
  EXPECT_EQ(Verdict(1, cookie, "label=benign&csrf=" + std::string(64, '0'))->status, 403);
  // A harmful verdict needs a category.
  auto bad = Verdict(1, cookie, "label=harmful&category=&csrf=" + csrf);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("category"), std::string::npos);
  auto ok = Verdict(1, cookie, "label=benign&note=" + httplib::detail::encode_query_param("fine <b>") + "&csrf=" + csrf);
  ASSERT_EQ(ok->status, 303);
  EXPECT_EQ(ok->get_header_value("Location"), "/review");
  EXPECT_EQ(Verdict(1, cookie, "label=harmful&category=S9&csrf=" + csrf)->status, 409);  // reviewed once
  EXPECT_NE(Get("/review", cookie)->body.find("<span id=\"open-count\">1</span>"), std::string::npos);
  auto done = Get("/review/item/1", cookie);
  EXPECT_NE(done->body.find("fine &lt;b&gt;"), std::string::npos);
  ASSERT_EQ(Verdict(2, cookie, "label=harmful&category=S9&csrf=" + csrf)->status, 303);

  auto stats = Get("/review/stats", cookie);
  ASSERT_EQ(stats->status, 200);
  EXPECT_NE(stats->body.find("input:deny"), std::string::npos);
  auto jsonl = Get("/review/export.jsonl", cookie);
  ASSERT_EQ(jsonl->status, 200);
  EXPECT_NE(jsonl->body.find("\"label\":1"), std::string::npos);
  EXPECT_NE(jsonl->body.find("\"label\":0"), std::string::npos);

  // Logging out ends the session.
  ASSERT_EQ(client_->Post("/review/logout", {{"Cookie", cookie}}, "csrf=" + csrf, "application/x-www-form-urlencoded")->status, 303);
  EXPECT_EQ(Get("/review", cookie)->status, 303);
}

TEST_F(ReviewTest, EachReleasedTokenIsShownWithTheOutputProbesScore) {
  const std::string pack = ::testing::TempDir() + "/review_test_out.safetensors";  // Start empties dir_
  ASSERT_TRUE(interp::WriteMonitorPack(guard::testing::CoordinatePack(*model_, 3, interp::PositionRule::kLast, 1e9), pack).ok());
  Start("output: [{name: harm-out, probe: " + pack + "}]\n"
        "audit: {risk_threshold: 0, sample: [{min_risk: -1e9, rate: 1}], seed: 7}");
  ASSERT_NE(server_, nullptr);
  ASSERT_TRUE(store_->AddReviewer("alice", "correct horse battery").ok());
  auto answer = Chat(Body(false, 6));
  ASSERT_EQ(answer->status, 200);
  const std::string text = Json::parse(answer->body)["choices"][0]["message"]["content"];
  auto page = Get("/review/item/1", Login());
  ASSERT_EQ(page->status, 200);
  // One shaded span per released token, each titled with its score, spelling the answer.
  size_t spans = 0, at = 0;
  std::string joined;
  const std::string open = "<span class=\"tok\" title=\"";
  while ((at = page->body.find(open, at)) != std::string::npos) {
    ++spans;
    const size_t title_end = page->body.find('"', at + open.size());
    EXPECT_NE(page->body.substr(at + open.size(), title_end - at - open.size()), "no score");
    const size_t content = page->body.find('>', title_end) + 1;
    const size_t close = page->body.find("</span>", content);
    joined += page->body.substr(content, close - content);
    at = close;
  }
  auto record = store_->Record(1).value();
  EXPECT_EQ(static_cast<int64_t>(spans), record.released_tokens);
  EXPECT_EQ(joined, HtmlEscape(text));
}

TEST_F(ReviewTest, TheCascadesGuardModelSaysWhyItWasAskedAndWhatItNamed) {
  // Every request escalated (escalate_at -1e9) and blocked (threshold -1e9), and queued.
  Start("cascade: {model: unused, escalate_at: -1e9, threshold: -1e9}\n"
        "audit: {risk_threshold: 0, sample: [{min_risk: -1e9, rate: 1}], seed: 7}");
  ASSERT_NE(server_, nullptr);
  ASSERT_TRUE(store_->AddReviewer("alice", "correct horse battery").ok());
  ExpectEnvelope(Chat(Body(false)), 400, "messages", "content_filter");
  const Json entry = Json::parse(store_->Record(1).value().scores_json)["input"]["guard-model"];
  auto page = Get("/review/item/1", Login());
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<td>guard-model</td>"), std::string::npos);
  EXPECT_NE(page->body.find("escalated: cheap risk none &gt;= -1000000000.000; fired " + entry["category"].get<std::string>()),
            std::string::npos)
      << page->body;
}

}  // namespace
}  // namespace warden::gateway
