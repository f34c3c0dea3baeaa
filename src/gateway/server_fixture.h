// Test-only: a warden serve (guard + store + server on a free port) around the tiny random chat
// model, and helpers for its responses. Used by server_test.cc and review_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "guard/test_model.h"
#include "warden/gateway/server.h"

namespace warden::gateway {

using Json = nlohmann::json;

// The data lines of a server-sent event stream, parsed ("[DONE]" kept as a string).
inline std::vector<Json> Events(const std::string& body) {
  std::vector<Json> out;
  size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    const size_t end = body.find("\n\n", at);
    const std::string data = body.substr(at + 6, end - at - 6);
    out.push_back(data == "[DONE]" ? Json("[DONE]") : Json::parse(data));
    at = end;
  }
  return out;
}

class ServerTest : public ::testing::Test {
 protected:
  void Start(const std::string& yaml, double read_timeout_seconds = 30) {
    client_.reset();  // a second Start replaces the first server
    server_.reset();
    guard_.reset();
    model_ = guard::testing::TinyChatModel();
    ASSERT_NE(model_, nullptr);
    dir_ = ::testing::TempDir() + "/server_test_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = store::Store::Open(dir_ + "/serve.db").value();
    auto sg = guard::ParseSafeguards(yaml, dir_ + "/guard.yaml", dir_);
    ASSERT_TRUE(sg.ok()) << sg.status().ToString();
    if (sg->cascade.enabled) sg->cascade.loaded = guard::testing::TinyGuardModel();  // a cascade section's guard model
    auto g = guard::Guard::Create(model_, "tiny", *sg, store_.get());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    guard_ = std::move(g).value();
    ServerOptions o;
    o.port = 0;
    o.read_timeout_seconds = read_timeout_seconds;
    server_ = Server::Create(guard_.get(), store_.get(), o).value();
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(60, 0);
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    guard_.reset();
  }
  httplib::Result Chat(Json body, const httplib::Headers& headers = {}) {
    return client_->Post("/v1/chat/completions", headers, body.dump(), "application/json");
  }
  static Json Body(bool stream, int max_tokens = 12, const std::string& content = "How do I bake bread?") {
    Json b = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", content}}}}, {"max_tokens", max_tokens},
              {"temperature", 0}, {"stream", stream}};
    if (stream) b["stream_options"] = {{"include_usage", true}};
    return b;
  }
  static void ExpectEnvelope(const httplib::Result& r, int status, const std::string& param, const std::string& code) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    Json j = Json::parse(r->body);
    ASSERT_TRUE(j.contains("error")) << r->body;
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_TRUE(j["error"]["type"].is_string());
    if (!param.empty()) EXPECT_EQ(j["error"]["param"], param) << r->body;
    if (!code.empty()) EXPECT_EQ(j["error"]["code"], code) << r->body;
  }

  std::shared_ptr<engine::LanguageModel> model_;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<guard::Guard> guard_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace warden::gateway
