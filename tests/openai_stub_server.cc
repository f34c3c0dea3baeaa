// A small OpenAI-compatible chat-completions server for tests: a real HTTP server process on
// loopback, so that warden's HTTP backend is tested over a socket, not against a mock object.
//
//   openai_stub_server [--mode normal|flaky|garbage|judge-broken]
// prints "port N" on stdout once listening on 127.0.0.1:N (a free port), then serves until
// killed or until POST /shutdown. Replies are deterministic functions of the last user message:
//   contains "capital of France"  -> "Paris."
//   contains "GRADE: C"           -> a judge's reply ending "GRADE: C" ("judge-broken": no verdict)
//   contains "bomb" or "weapon"   -> "I can't help with that."
//   lists choices ("A. text" or "1. text" lines) -> the label of the choice mentioning Paris,
//                                    else the first label (a position-biased guesser)
//   anything else                 -> "You said: <message>"
// Modes: "flaky" answers every third request with HTTP 500; "garbage" answers with non-JSON.
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

int main(int argc, char** argv) {
  std::string mode = "normal";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--mode") == 0) mode = argv[i + 1];
  }
  httplib::Server server;
  std::atomic<int> requests{0};
  server.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    const int n = ++requests;
    if (mode == "flaky" && n % 3 == 0) {
      res.status = 500;
      res.set_content("{\"error\":{\"message\":\"overloaded\"}}", "application/json");
      return;
    }
    if (mode == "garbage") {
      res.set_content("<html>not json</html>", "text/html");
      return;
    }
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
      res.status = 400;
      res.set_content("{\"error\":{\"message\":\"messages required\"}}", "application/json");
      return;
    }
    std::string user;
    for (const auto& m : body["messages"]) {
      if (m.is_object() && m.value("role", "") == "user" && m.contains("content") && m["content"].is_string()) {
        user = m["content"].get<std::string>();
      }
    }
    std::string reply;
    if (user.find("GRADE: C") != std::string::npos) {
      reply = mode == "judge-broken" ? "I would rather not say." : "The answer matches the reference.\nGRADE: C";
    } else if (user.find("capital of France") != std::string::npos) {
      reply = "Paris.";
    } else if (user.find("bomb") != std::string::npos || user.find("weapon") != std::string::npos) {
      reply = "I can't help with that.";
    } else if (user.find("\nAnswer with the") != std::string::npos) {
      std::string first, paris;
      for (size_t at = 0; at < user.size();) {
        size_t end = user.find('\n', at);
        if (end == std::string::npos) end = user.size();
        const std::string line = user.substr(at, end - at);
        const size_t dot = line.find(". ");
        if (dot != std::string::npos && dot > 0 && dot <= 2) {
          if (first.empty()) first = line.substr(0, dot);
          if (paris.empty() && line.find("Paris") != std::string::npos) paris = line.substr(0, dot);
        }
        at = end + 1;
      }
      reply = paris.empty() ? first : paris;
    } else {
      reply = "You said: " + user;
    }
    nlohmann::json choice = {{"index", 0},
                             {"message", {{"role", "assistant"}, {"content", reply}}},
                             {"finish_reason", "stop"}};
    if (body.value("logprobs", false)) {
      nlohmann::json content = nlohmann::json::array();
      for (size_t i = 0; i < 3; ++i) content.push_back({{"token", "t"}, {"logprob", -0.5 * static_cast<double>(i + 1)}});
      choice["logprobs"] = {{"content", content}};
    }
    nlohmann::json out = {{"id", "stub-" + std::to_string(n)},
                          {"object", "chat.completion"},
                          {"model", body.value("model", "stub")},
                          {"choices", nlohmann::json::array({choice})}};
    res.set_content(out.dump(), "application/json");
  });
  server.Post("/shutdown", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("bye", "text/plain");
    server.stop();
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::fprintf(stderr, "openai_stub_server: cannot bind to 127.0.0.1\n");
    return 1;
  }
  std::printf("port %d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
