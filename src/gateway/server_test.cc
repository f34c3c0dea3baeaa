#include "warden/gateway/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <nlohmann/json.hpp>

#include "gateway/server_fixture.h"
#include "guard/test_moderator.h"
#include "warden/base/file.h"
#include "warden/base/openai_api.h"
#include "warden/base/rng.h"

namespace warden::gateway {
namespace {

TEST_F(ServerTest, StreamedAndNotGiveTheSameTextAndFinish) {
  Start("holdback: 2");
  auto plain = Chat(Body(false));
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200) << plain->body;
  Json p = Json::parse(plain->body);
  EXPECT_EQ(p["object"], "chat.completion");
  const std::string text = p["choices"][0]["message"]["content"];
  const std::string finish = p["choices"][0]["finish_reason"];
  EXPECT_EQ(p["usage"]["prompt_tokens"].get<int>() + p["usage"]["completion_tokens"].get<int>(),
            p["usage"]["total_tokens"].get<int>());

  auto streamed = Chat(Body(true));
  ASSERT_TRUE(streamed);
  ASSERT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->get_header_value("Content-Type"), "text/event-stream");
  std::vector<Json> ev = Events(streamed->body);
  ASSERT_GE(ev.size(), 3u);
  EXPECT_EQ(ev.back(), "[DONE]");
  const Json& usage = ev[ev.size() - 2];
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"], p["usage"]);
  const Json& fin = ev[ev.size() - 3];
  EXPECT_EQ(fin["choices"][0]["finish_reason"], finish);
  std::string joined;
  for (size_t i = 0; i + 3 < ev.size(); ++i) {
    EXPECT_TRUE(ev[i]["choices"][0]["finish_reason"].is_null());
    joined += ev[i]["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(ev[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(joined, text);
  EXPECT_EQ(*store_->Count(), 2);
}

TEST_F(ServerTest, ACutStreamEndsWithContentFilterThenUsageThenDone) {
  // An output regex that any non-empty text matches: the cut lands on the first token.
  Start("holdback: 0\noutput: [{name: anything, regex: [\"[\\\\s\\\\S]\"]}]");
  auto streamed = Chat(Body(true));
  ASSERT_TRUE(streamed);
  ASSERT_EQ(streamed->status, 200) << streamed->body;
  std::vector<Json> ev = Events(streamed->body);
  ASSERT_EQ(ev.size(), 3u) << streamed->body;
  EXPECT_EQ(ev[0]["choices"][0]["finish_reason"], "content_filter");
  EXPECT_FALSE(ev[0]["choices"][0]["delta"].contains("content"));
  EXPECT_TRUE(ev[1]["choices"].empty());
  EXPECT_EQ(ev[2], "[DONE]");
  auto plain = Chat(Body(false));
  ASSERT_TRUE(plain);
  Json p = Json::parse(plain->body);
  EXPECT_EQ(p["choices"][0]["finish_reason"], "content_filter");
  EXPECT_EQ(p["choices"][0]["message"]["content"], "");
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].action, "cut");
  EXPECT_EQ(recs[1].action, "cut");
  EXPECT_EQ(recs[0].cut_token, recs[1].cut_token);
}

TEST_F(ServerTest, ABlockedInputIs400ContentFilterStreamedOrNot) {
  Start("input: [{name: deny, regex: [\"(?i)bread\"]}]");
  ExpectEnvelope(Chat(Body(false)), 400, "messages", "content_filter");
  ExpectEnvelope(Chat(Body(true)), 400, "messages", "content_filter");
  auto ok = Chat(Body(false, 4, "Mira lives in Vell."));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerTest, BadRequestsGetTheEnvelopeNamingTheParameter) {
  Start("limits: {max_tokens: 32, max_messages: 2, max_body_bytes: 2048}");
  ExpectEnvelope(client_->Post("/v1/chat/completions", "{\"model\": ", "application/json"), 400, "", "invalid_json");
  ExpectEnvelope(client_->Post("/v1/chat/completions", "[]", "application/json"), 400, "", "");
  Json b = Body(false);
  b["messages"][0]["role"] = "wizard";
  ExpectEnvelope(Chat(b), 400, "messages[0].role", "");
  b = Body(false);
  b["temperature"] = "hot";
  ExpectEnvelope(Chat(b), 400, "temperature", "");
  b = Body(false);
  b["max_tokens"] = 33;
  ExpectEnvelope(Chat(b), 400, "max_tokens", "max_tokens_too_large");
  b = Body(false);
  b["messages"] = Json::array({b["messages"][0], b["messages"][0], b["messages"][0]});
  ExpectEnvelope(Chat(b), 400, "messages", "too_many_messages");
  b = Body(false);
  b["model"] = "gpt-4o";
  ExpectEnvelope(Chat(b), 404, "model", "model_not_found");
  b = Body(false);
  b["tools"] = Json::array();
  ExpectEnvelope(Chat(b), 400, "tools", "");
  b = Body(false, 4, std::string(4096, 'a'));
  ExpectEnvelope(Chat(b), 413, "", "body_too_large");
  ExpectEnvelope(client_->Get("/v1/nothing"), 404, "", "not_found");
  auto completion = client_->Post("/v1/completions", Json({{"model", "tiny"}, {"prompt", "Mira"}, {"max_tokens", 3}}).dump(),
                                  "application/json");
  ASSERT_TRUE(completion);
  EXPECT_EQ(completion->status, 200) << completion->body;
  EXPECT_EQ(Json::parse(completion->body)["object"], "text_completion");
}

TEST_F(ServerTest, KeysAreRequiredOnceOneExistsAndRatesAreLimited) {
  Start("");
  auto [key, secret] = store_->AddKey("ci", 2).value();
  ExpectEnvelope(Chat(Body(false, 2)), 401, "", "invalid_api_key");
  ExpectEnvelope(Chat(Body(false, 2), {{"Authorization", "Bearer wk-wrong"}}), 401, "", "invalid_api_key");
  const httplib::Headers auth = {{"Authorization", "Bearer " + secret}};
  for (int i = 0; i < 2; ++i) {
    auto r = Chat(Body(false, 2), auth);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }
  auto limited = Chat(Body(false, 2), auth);
  ExpectEnvelope(limited, 429, "", "rate_limit_exceeded");
  EXPECT_GE(std::stoi(limited->get_header_value("Retry-After")), 1);
  EXPECT_EQ((*store_->Records())[0].key_id, key.id);
}

TEST_F(ServerTest, ModelsHealthAndMetricsAnswer) {
  Start("input: [{name: deny, regex: [\"(?i)bread\"]}]");
  Chat(Body(false, 2));
  auto models = client_->Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(Json::parse(models->body)["data"][0]["id"], "tiny");
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(Json::parse(health->body)["model_sha256"], guard_->model_sha256());
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  const std::string& m = metrics->body;
  EXPECT_NE(m.find("warden_requests_total{route=\"/v1/chat/completions\",code=\"400\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("warden_safeguard_decisions_total{stage=\"input\",safeguard=\"deny\",kind=\"regex\",decision=\"fire\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("# TYPE warden_queue_length gauge"), std::string::npos);
  client_->Get("/no/such/path/1");
  client_->Get("/no/such/path/2");
  auto again = client_->Get("/metrics");
  EXPECT_NE(again->body.find("warden_requests_total{route=\"other\",code=\"404\"} 2"), std::string::npos) << again->body;
  EXPECT_EQ(again->body.find("/no/such/path"), std::string::npos);
  auto one = client_->Get("/v1/models/tiny");
  ASSERT_TRUE(one);
  EXPECT_EQ(Json::parse(one->body)["id"], "tiny");
  ExpectEnvelope(client_->Get("/v1/models/gpt-4o"), 404, "model", "model_not_found");
}

}  // namespace
}  // namespace warden::gateway

namespace warden::gateway {
namespace {

// POST /v1/moderations in OpenAI's shape, against a golden response (testdata/): a moderator
// whose packs were written by hand (guard/test_moderator.h), so that every score is known.
TEST_F(ServerTest, ModerationsAnswerInOpenAisShapeWithHazardCodes) {
  const std::string moderator = ::testing::TempDir() + "/server_test_moderator";
  std::filesystem::remove_all(moderator);
  guard::testing::WriteTestModerator(moderator);
  Start("moderation: " + moderator);
  auto r = client_->Post("/v1/moderations", Json({{"input", {"how is sarin made", "you idiot"}}}).dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json got = Json::parse(r->body);
  EXPECT_EQ(got["id"].get<std::string>().rfind("modr-", 0), 0u);
  EXPECT_EQ(got["model"].get<std::string>().rfind("warden-moderation-", 0), 0u);
  got.erase("id");
  got.erase("model");
  const Json golden = Json::parse(ReadFileToString(std::string(WARDEN_GATEWAY_TESTDATA) + "/moderation_response.golden.json").value());
  EXPECT_EQ(got, golden) << got.dump(1);
  // One string is one result; bad inputs get the envelope; no moderator: 404.
  auto one = client_->Post("/v1/moderations", Json({{"input", "bread"}}).dump(), "application/json");
  ASSERT_TRUE(one);
  EXPECT_EQ(Json::parse(one->body)["results"].size(), 1u);
  EXPECT_FALSE(Json::parse(one->body)["results"][0]["flagged"].get<bool>());
  ExpectEnvelope(client_->Post("/v1/moderations", Json({{"input", {1, 2}}}).dump(), "application/json"), 400, "input[0]", "invalid_value");
  ExpectEnvelope(client_->Post("/v1/moderations", "{}", "application/json"), 400, "input", "invalid_value");
  Start("holdback: 0");
  ExpectEnvelope(client_->Post("/v1/moderations", Json({{"input", "x"}}).dump(), "application/json"), 404, "", "not_found");
}

// Black-box mode: a second server guards the first over HTTP, with text safeguards only.
TEST_F(ServerTest, InFrontOfAnUpstreamServerTheTextSafeguardsCutItsStream) {
  Start("holdback: 1");
  auto direct = Chat(Body(false, 10));
  ASSERT_TRUE(direct);
  const std::string text = Json::parse(direct->body)["choices"][0]["message"]["content"];
  ASSERT_GE(text.size(), 2u);

  auto front_store = store::Store::Open(dir_ + "/front.db").value();
  guard::UpstreamOptions up;
  up.base_url = "http://127.0.0.1:" + std::to_string(server_->port());
  up.model = "tiny";
  auto allow = guard::ParseSafeguards("holdback: 2", "front.yaml", dir_);
  auto front = guard::Guard::CreateUpstream(up, "tiny", *allow, front_store.get());
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  ServerOptions o;
  o.port = 0;
  auto front_server = Server::Create(front->get(), front_store.get(), o).value();
  ASSERT_TRUE(front_server->Start().ok());
  httplib::Client c("127.0.0.1", front_server->port());
  auto through = c.Post("/v1/chat/completions", Body(false, 10).dump(), "application/json");
  ASSERT_TRUE(through);
  ASSERT_EQ(through->status, 200) << through->body;
  EXPECT_EQ(Json::parse(through->body)["choices"][0]["message"]["content"], text);
  auto streamed = c.Post("/v1/chat/completions", Body(true, 10).dump(), "application/json");
  ASSERT_TRUE(streamed);
  std::string joined;
  for (const Json& e : Events(streamed->body)) {
    if (e.is_object() && !e["choices"].empty()) joined += e["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(joined, text);
  front_server.reset();
  front->reset();

  // The same upstream behind a front whose output regex matches the answer's first letter or
  // digit after its first byte: the cut lands inside the answer.
  size_t at = 1;
  while (at < text.size() && !std::isalnum(static_cast<unsigned char>(text[at]))) ++at;
  ASSERT_LT(at, text.size()) << "this random model's answer has no letter to cut at: " << text;
  const std::string pattern(1, text[at]);
  auto cut = guard::ParseSafeguards("holdback: 0\noutput: [{name: second, regex: [\"" + pattern + "\"]}]", "cut.yaml", dir_);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  auto front2 = guard::Guard::CreateUpstream(up, "tiny", *cut, front_store.get());
  ASSERT_TRUE(front2.ok());
  auto server2 = Server::Create(front2->get(), front_store.get(), o).value();
  ASSERT_TRUE(server2->Start().ok());
  httplib::Client c2("127.0.0.1", server2->port());
  auto cut_res = c2.Post("/v1/chat/completions", Body(false, 10).dump(), "application/json");
  ASSERT_TRUE(cut_res);
  Json j = Json::parse(cut_res->body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "content_filter");
  EXPECT_EQ(text.rfind(j["choices"][0]["message"]["content"].get<std::string>(), 0), 0u);
  EXPECT_LT(j["choices"][0]["message"]["content"].get<std::string>().size(), text.size());

  ASSERT_TRUE(interp::WriteMonitorPack(guard::testing::CoordinatePack(*model_, 0, interp::PositionRule::kLastPrompt, 0),
                                       dir_ + "/x.safetensors")
                  .ok());
  auto probe_in_front = guard::ParseSafeguards("input: [{name: p, probe: x.safetensors}]", "p.yaml", dir_);
  auto refused = guard::Guard::CreateUpstream(up, "tiny", *probe_in_front, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("only text safeguards apply"), std::string::npos);

  // The cascade's guard model in front of the upstream reads the request's words: escalated
  // (escalate_at -1e9: every request) and above its threshold, the request is blocked before
  // anything is forwarded.
  auto cascade = guard::ParseSafeguards("cascade: {model: unused, escalate_at: -1e9, threshold: -1e9}", "c.yaml", dir_);
  ASSERT_TRUE(cascade.ok()) << cascade.status().ToString();
  cascade->cascade.loaded = guard::testing::TinyGuardModel();
  const size_t upstream_records = store_->Records().value().size();
  auto front3 = guard::Guard::CreateUpstream(up, "tiny", *cascade, front_store.get());
  ASSERT_TRUE(front3.ok()) << front3.status().ToString();
  auto server3 = Server::Create(front3->get(), front_store.get(), o).value();
  ASSERT_TRUE(server3->Start().ok());
  httplib::Client c3("127.0.0.1", server3->port());
  ExpectEnvelope(c3.Post("/v1/chat/completions", Body(false, 10).dump(), "application/json"), 400, "messages", "content_filter");
  const store::DecisionRecord last = front_store->Records().value().back();
  EXPECT_EQ(last.monitor, "guard-model");
  EXPECT_TRUE(Json::parse(last.scores_json)["input"]["guard-model"]["escalated"].get<bool>());
  EXPECT_EQ(store_->Records().value().size(), upstream_records);  // never forwarded
}

}  // namespace
}  // namespace warden::gateway

namespace warden::gateway {
namespace {

// Found by fuzz/openai_request_fuzz: JSON's 0 is read as unsigned, and max_tokens 0 got through.
TEST(OpenAiApi, MaxTokensMustBePositiveWhateverItsJsonIntegerKind) {
  for (const char* v : {"0", "-3", "4294967296"}) {
    openai::ChatCompletionRequest r;
    auto e = openai::ParseChatCompletionRequest(
        Json::parse(std::string(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":)") + v + "}"), &r);
    ASSERT_TRUE(e.has_value()) << v;
    EXPECT_EQ(e->param, "max_tokens");
  }
  openai::ChatCompletionRequest ok;
  EXPECT_FALSE(openai::ParseChatCompletionRequest(
                   Json::parse(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1})"), &ok)
                   .has_value());
  EXPECT_EQ(ok.max_tokens, 1);
}

}  // namespace
}  // namespace warden::gateway

namespace warden::gateway {
namespace {

// Raw bytes to the server's socket; whatever it answers within a second.
std::string SendRaw(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    timeval tv{2, 0};  // longer than the server's read timeout: a request it waits on is answered or closed
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// A request fuzzer over the socket: valid requests mutated byte by byte, headers and bodies
// spliced from a list of hostile values, random bytes. The server must answer every one that
// parses as HTTP with a status line (4xx bodies in the error envelope), and stay up.
TEST_F(ServerTest, SurvivesMutatedRawRequestsAndAnswersErrorsWithTheEnvelope) {
  Start("limits: {max_tokens: 8, max_body_bytes: 4096}", 0.25);
  const std::string body = Body(false, 4).dump();
  const std::string valid = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  const std::vector<std::string> hostile = {"", "\r\n", "Content-Length: -1\r\n", "Content-Length: 99999999999999999999\r\n",
                                            "Transfer-Encoding: chunked\r\n", "Authorization: Bearer \xff\xfe\r\n",
                                            "Content-Type: text/plain\r\n", std::string(9000, 'A') + ": b\r\n",
                                            "X: \0\r\n", "Expect: 100-continue\r\n"};
  // The requests, drawn in order from one seed, then sent from 8 threads.
  Rng rng(7);
  std::vector<std::string> requests;
  for (int i = 0; i < 240; ++i) {
    std::string req = valid;
    switch (i % 3) {
      case 0:  // flip a few bytes anywhere
        for (int k = 0; k < 1 + static_cast<int>(rng.Next() % 4); ++k) req[rng.Next() % req.size()] = static_cast<char>(rng.Next());
        break;
      case 1: {  // a hostile header after the request line
        const size_t at = req.find("\r\n") + 2;
        req.insert(at, hostile[rng.Next() % hostile.size()]);
        break;
      }
      default: {  // the body replaced by random bytes of a declared length
        std::string junk(rng.Next() % (body.size() + 1), '\0');
        for (char& c : junk) c = static_cast<char>(rng.Next());
        req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(junk.size()) + "\r\nConnection: close\r\n\r\n" + junk;
      }
    }
    requests.push_back(std::move(req));
  }
  std::vector<std::string> responses(requests.size());
  std::vector<std::thread> senders;
  for (size_t t = 0; t < 8; ++t) {
    senders.emplace_back([&, t] {
      for (size_t i = t; i < requests.size(); i += 8) responses[i] = SendRaw(server_->port(), requests[i]);
    });
  }
  for (std::thread& t : senders) t.join();
  int answered = 0, envelopes = 0;
  for (size_t i = 0; i < responses.size(); ++i) {
    std::string res = responses[i];
    if (res.rfind("HTTP/1.1 100 ", 0) == 0) res = res.substr(res.find("\r\n\r\n") + 4);  // Expect: 100-continue
    if (res.rfind("HTTP/1.1 ", 0) != 0) continue;  // the server may close on unparseable input
    ++answered;
    const int status = std::stoi(res.substr(9, 3));
    ASSERT_TRUE(status == 200 || (status >= 400 && status < 500)) << "request " << i << " got " << res.substr(0, 80);
    const size_t blank = res.find("\r\n\r\n");
    if (status >= 400 && blank != std::string::npos && blank + 4 < res.size()) {
      const Json j = Json::parse(res.substr(blank + 4), nullptr, false);
      ASSERT_TRUE(j.is_object() && j.contains("error")) << "request " << i << ": " << res;
      ++envelopes;
    }
  }
  EXPECT_GT(answered, 120);
  EXPECT_GT(envelopes, 60);
  auto health = client_->Get("/healthz");  // still up
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace warden::gateway
