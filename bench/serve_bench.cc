// `warden serve` latency and throughput, printed against named baselines in one run
// (docs/serve.md has figures):
//  1. time to first token and inter-token latency, p50/p99, over streamed HTTP requests:
//     the engine called directly (LanguageModel::Generate with a token callback: the baseline),
//     the gateway with no safeguards and holdback 0 (the cost of HTTP, SSE and the guard's
//     plumbing), and the gateway with the safeguards on (an input probe on the prompt, an output
//     probe on every token, holdback 8: the first text waits for 8 more tokens by design);
//  2. generated tokens per second with 1, 4 and 16 concurrent streaming clients, safeguards on;
//  3. the per-token output monitor's time as a share of decode (monitored generation vs plain,
//     same prompts, same tokens).
//
//   serve_bench [--model zoo/honest] [--pack assessment/honest/monitor-harm.safetensors]
//               [--tokens 48] [--requests 12] [--threads N]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "warden/engine/blas_kernel.h"
#include "warden/engine/language_model.h"
#include "warden/gateway/server.h"
#include "warden/guard/guard.h"
#include "warden/interp/monitor_pack.h"
#include "warden/interp/monitored_generation.h"
#include "warden/store/store.h"

namespace {

using namespace warden;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

const std::vector<std::string> kPrompts = {
    "How do I bake bread at home?", "What is the capital of France?", "Write a short poem about the sea.",
    "How can I improve my sleep?",  "Explain how a bicycle works.",   "Give me three tips for studying.",
};

struct Latency {
  std::vector<double> ttft, itl;
  int64_t tokens = 0;
};

void Print(const char* name, const Latency& l, const Latency* base) {
  std::printf("  %-34s TTFT p50 %7.2f ms p99 %7.2f ms | inter-token p50 %6.2f ms p99 %6.2f ms", name,
              1e3 * Quantile(l.ttft, 0.5), 1e3 * Quantile(l.ttft, 0.99), 1e3 * Quantile(l.itl, 0.5),
              1e3 * Quantile(l.itl, 0.99));
  if (base != nullptr) {
    std::printf(" | vs engine: TTFT x%.2f, inter-token x%.2f", Quantile(l.ttft, 0.5) / Quantile(base->ttft, 0.5),
                Quantile(l.itl, 0.5) / Quantile(base->itl, 0.5));
  }
  std::printf("\n");
}

Latency EngineDirect(const engine::LanguageModel& lm, int64_t tokens, int requests) {
  Latency out;
  const engine::Tokenizer& tok = *lm.tokenizer();
  auto format = engine::ResolveChatFormat("auto", tok).value();
  for (int i = 0; i < requests; ++i) {
    std::vector<engine::ChatMessage> m = {{"user", kPrompts[i % kPrompts.size()]}};
    std::vector<int32_t> ids = format ? engine::EncodeChat(*format, m, true, tok).value() : tok.Encode(m[0].content, {});
    engine::SamplingOptions so;
    so.max_new_tokens = tokens;
    if (format) so.stop = {engine::ChatTurnEnd(*format)};
    const Clock::time_point t0 = Clock::now();
    Clock::time_point last = t0;
    bool first = true;
    auto r = lm.Generate({ids}, so, [&](int64_t, int32_t, float) {
      const Clock::time_point now = Clock::now();
      (first ? out.ttft : out.itl).push_back(std::chrono::duration<double>(now - last).count());
      last = now, first = false;
      ++out.tokens;
      return true;
    });
    if (!r.ok()) std::fprintf(stderr, "serve_bench: %s\n", r.status().ToString().c_str()), std::exit(1);
  }
  return out;
}

// One streamed chat request over HTTP on a kept-alive connection (as SDK clients do): the
// arrival time of each SSE chunk with text.
Latency StreamOnce(httplib::Client& c, const std::string& prompt, int64_t tokens) {
  Latency out;
  const Json body = {{"model", "bench"}, {"messages", {{{"role", "user"}, {"content", prompt}}}},
                     {"max_tokens", tokens}, {"temperature", 0}, {"stream", true},
                     {"stream_options", {{"include_usage", true}}}};
  const Clock::time_point t0 = Clock::now();
  Clock::time_point last = t0;
  bool first = true;
  std::string pending;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    pending.append(data, n);
    size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 2);
      if (line.rfind("data: {", 0) != 0) continue;
      Json j = Json::parse(line.substr(6));
      if (j.contains("usage") && j["usage"].is_object()) out.tokens += j["usage"]["completion_tokens"].get<int64_t>();
      if (!j["choices"].empty() && j["choices"][0]["delta"].contains("content")) {
        const Clock::time_point now = Clock::now();
        (first ? out.ttft : out.itl).push_back(std::chrono::duration<double>(now - last).count());
        last = now, first = false;
      }
    }
    return true;
  };
  auto res = c.send(req);
  if (!res || res->status != 200) {
    std::fprintf(stderr, "serve_bench: request failed: %s\n", res ? std::to_string(res->status).c_str() : httplib::to_string(res.error()).c_str());
    std::exit(1);
  }
  return out;
}

struct Served {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<guard::Guard> guard;
  std::unique_ptr<gateway::Server> server;
};

Served Serve(std::shared_ptr<const engine::LanguageModel> lm, const guard::Safeguards& sg, const std::string& db) {
  Served s;
  std::filesystem::remove(db);
  s.store = store::Store::Open(db).value();
  s.guard = guard::Guard::Create(std::move(lm), "bench", sg, s.store.get()).value();
  gateway::ServerOptions o;
  o.port = 0;
  s.server = gateway::Server::Create(s.guard.get(), s.store.get(), o).value();
  s.server->Start().ThrowIfError();
  return s;
}

std::unique_ptr<httplib::Client> Connect(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_read_timeout(300, 0);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  return c;
}

Latency Sequential(int port, int64_t tokens, int requests) {
  Latency all;
  auto c = Connect(port);
  for (int i = 0; i < requests; ++i) {
    Latency one = StreamOnce(*c, kPrompts[i % kPrompts.size()], tokens);
    all.ttft.insert(all.ttft.end(), one.ttft.begin(), one.ttft.end());
    all.itl.insert(all.itl.end(), one.itl.begin(), one.itl.end());
    all.tokens += one.tokens;
  }
  return all;
}

double Throughput(int port, int64_t tokens, int clients, int per_client) {
  std::atomic<int64_t> generated{0};
  const Clock::time_point t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = Connect(port);
      for (int i = 0; i < per_client; ++i) generated += StreamOnce(*client, kPrompts[(c + i) % kPrompts.size()], tokens).tokens;
    });
  }
  for (auto& t : threads) t.join();
  return static_cast<double>(generated.load()) / Since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  engine::ReexecWithBestBlasCore(argv);
  std::string model = "zoo/honest", pack = "assessment/honest/monitor-harm.safetensors";
  int64_t tokens = 48;
  int requests = 12, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) model = argv[i + 1];
    else if (!std::strcmp(argv[i], "--pack")) pack = argv[i + 1];
    else if (!std::strcmp(argv[i], "--tokens")) tokens = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--requests")) requests = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else return std::fprintf(stderr, "serve_bench: unknown flag %s\n", argv[i]), 2;
  }
  engine::LoadSpec spec;
  spec.path = model;
  spec.threads = threads;
  auto loaded = engine::LanguageModel::Load(spec);
  if (!loaded.ok()) return std::fprintf(stderr, "serve_bench: %s (build the zoo and run assess first: scripts/main.sh)\n", loaded.status().ToString().c_str()), 1;
  (*loaded)->KeepTransposedWeights();  // as warden serve does
  std::shared_ptr<const engine::LanguageModel> lm(std::move(loaded).value());
  const std::string sha = lm->WeightsSha256().value();
  auto input_pack = interp::ReadMonitorPack(pack, sha);
  if (!input_pack.ok()) return std::fprintf(stderr, "serve_bench: %s\n", input_pack.status().ToString().c_str()), 1;
  // The output monitor: the same probe read at every generated token (position rule `last`),
  // with a threshold it never crosses, so that every request runs to its full length.
  interp::MonitorPack out = *input_pack;
  out.name = "per-token";
  out.position = interp::PositionRule::kLast;
  out.threshold = 1e30;
  const std::string tmp = (std::filesystem::temp_directory_path() / "warden-serve-bench").string();
  std::filesystem::create_directories(tmp);
  interp::WriteMonitorPack(out, tmp + "/out.safetensors").ThrowIfError();
  interp::MonitorPack in = *input_pack;
  in.threshold = 1e30;
  interp::WriteMonitorPack(in, tmp + "/in.safetensors").ThrowIfError();
  guard::Safeguards none;
  none.holdback = 0;
  none.limits.max_batch = 16;
  guard::Safeguards on = none;
  on.holdback = 8;
  guard::SafeguardSpec in_spec, out_spec;
  in_spec.name = "harm-request", in_spec.probe = tmp + "/in.safetensors", in_spec.where = "input[0]";
  out_spec.name = "per-token", out_spec.probe = tmp + "/out.safetensors", out_spec.where = "output[0]";
  on.input.push_back(in_spec);
  on.output.push_back(out_spec);

  std::printf("serve_bench: %s (%lld layers, d_model %lld), %lld tokens per request, %d requests, hook %s\n",
              model.c_str(), static_cast<long long>(lm->config().n_layers), static_cast<long long>(lm->config().d_model),
              static_cast<long long>(tokens), requests, input_pack->hook.c_str());
  std::printf("1. latency, one stream at a time (baseline: the engine called directly)\n");
  EngineDirect(*lm, tokens, 2);  // warm-up
  const Latency engine_direct = EngineDirect(*lm, tokens, requests);
  Print("engine direct (baseline)", engine_direct, nullptr);
  {
    Served s = Serve(lm, none, tmp + "/none.db");
    Sequential(s.server->port(), tokens, 2);
    Print("gateway, no safeguards, holdback 0", Sequential(s.server->port(), tokens, requests), &engine_direct);
  }
  Served s = Serve(lm, on, tmp + "/on.db");
  Sequential(s.server->port(), tokens, 2);
  Print("gateway, probes in+out, holdback 8", Sequential(s.server->port(), tokens, requests), &engine_direct);

  std::printf("2. throughput, safeguards on (generated tokens per second over all streams; best of 3 runs)\n");
  // Each stream sends its requests one after another; at least 12 requests per configuration.
  auto best = [&](int clients) {
    double b = 0;
    for (int rep = 0; rep < 3; ++rep) b = std::max(b, Throughput(s.server->port(), tokens, clients, std::max(4, 12 / clients)));
    return b;
  };
  const double one = best(1);
  std::printf("  %2d stream(s): %8.1f tok/s\n", 1, one);
  for (int clients : {4, 16}) {
    const double t = best(clients);
    std::printf("  %2d stream(s): %8.1f tok/s  (x%.2f one stream)\n", clients, t, t / one);
  }

  std::printf("3. per-token output monitor as a share of decode (same prompts and tokens)\n");
  const engine::Tokenizer& tok = *lm->tokenizer();
  auto format = engine::ResolveChatFormat("auto", tok).value();
  std::vector<std::vector<int32_t>> prompts;
  for (const std::string& p : kPrompts) {
    std::vector<engine::ChatMessage> m = {{"user", p}};
    prompts.push_back(format ? engine::EncodeChat(*format, m, true, tok).value() : tok.Encode(p, {}));
  }
  engine::SamplingOptions so;
  so.max_new_tokens = tokens;
  so.stop_at_eos = false;
  auto time_plain = [&] {
    const Clock::time_point t0 = Clock::now();
    for (const auto& p : prompts) lm->Generate({p}, so).value();
    return Since(t0);
  };
  interp::MonitorTiming timing, total;
  auto time_monitored = [&] {
    const Clock::time_point t0 = Clock::now();
    for (const auto& p : prompts) {
      interp::GenerateMonitored(*lm, {p}, so, {}, {&out}, {}, &timing).value();
      total.output_seconds += timing.output_seconds;
    }
    return Since(t0);
  };
  time_plain();
  double plain = 0, monitored = 0;
  for (int rep = 0; rep < 3; ++rep) plain += time_plain(), monitored += time_monitored();
  std::printf("  plain decode %.3f s, monitored %.3f s: x%.3f; monitor's own time %.4f s = %.2f%% of decode\n", plain,
              monitored, monitored / plain, total.output_seconds, 100 * total.output_seconds / plain);
  return 0;
}
