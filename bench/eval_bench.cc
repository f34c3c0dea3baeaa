// Evaluation throughput, printed against named baselines in one run (docs/evals.md has figures):
//  1. multiple-choice scoring through the evals module (EngineBackend::ScoreReplies), batched
//     (the default: every choice of every item in token-budgeted batches, each prompt encoded
//     once) vs. one continuation at a time (max_batch_tokens 0: a batch-size-1 harness), on a
//     zoo organism (the ladder's top rung, zoo/benchmarks/hazard.jsonl) and on a random-init
//     134M-parameter Llama (Llama-2 vocabulary from ../shared);
//  2. eval-log write and read of 100,000 sample records, with the process's peak memory.
//
//   eval_bench [--zoo DIR] [--items N] [--threads N] [--shared DIR] [--budget TOKENS]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "warden/base/file.h"
#include "bench_models.h"
#include "warden/engine/blas_kernel.h"
#include "warden/engine/torch/model.h"
#include "warden/evals/eval_log.h"
#include "warden/evals/task.h"

namespace {

using namespace warden;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
double PeakMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void LogBench() {
  const std::string path = (std::filesystem::temp_directory_path() / "warden-eval-bench.jsonl").string();
  const double before = PeakMiB();
  auto t0 = Clock::now();
  auto w = evals::EvalLogWriter::Create(path, {{"type", "header"}, {"format", evals::kEvalLogFormat}}).value();
  const std::string output(200, 'x');
  for (int i = 0; i < 100000; ++i) {
    nlohmann::json rec = {{"type", "sample"}, {"id", "s" + std::to_string(i)}, {"epoch", 0},
                          {"input", {{{"role", "user"}, {"content", "What is item " + std::to_string(i) + "?"}}}},
                          {"output", output}, {"score", i % 2}, {"error", ""},
                          {"token_logprobs", std::vector<float>(16, -0.5f)}};
    w->Write(rec).ThrowIfError();
  }
  w->Close().ThrowIfError();
  const double write_s = Seconds(t0);
  const double size_mib = static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);
  t0 = Clock::now();
  size_t n = 0;
  double sum = 0;
  evals::ScanEvalLog(path, [&](const nlohmann::json& r) {
    ++n;
    sum += r.value("score", 0.0);
    return true;
  }).value();
  const double read_s = Seconds(t0);
  std::printf("eval log, 100,000 samples (%.0f MiB): write %.2f s (%.0f samples/s), read %.2f s (%.0f samples/s); "
              "peak RSS %.0f MiB before, %.0f MiB after (streamed: independent of the log's size)\n",
              size_mib, write_s, 1e5 / write_s, read_s, static_cast<double>(n) / read_s, before, PeakMiB());
  std::filesystem::remove(path);
}

// Items of the zoo's hazard benchmark, or synthetic four-choice items when there is no zoo.
std::vector<evals::Sample> Items(const std::string& zoo, size_t n) {
  evals::FieldMap f;
  f.choices = "choices";
  f.target = "target";
  std::vector<evals::Sample> out;
  auto d = evals::LoadDataset(zoo + "/benchmarks/hazard.jsonl", f);
  if (d.ok()) out = d->samples;
  for (size_t i = 0; out.size() < n; ++i) {
    evals::Sample s;
    s.input = "Which of these is item number " + std::to_string(i) + " in the catalogue of curious things?";
    s.choices = {"a brass lantern", "a cedar chest", "a slate tablet", "a bone flute"};
    s.target = "A";
    out.push_back(s);
  }
  out.resize(n);
  return out;
}

int64_t g_budget = 8192;  // --budget: tokens per scoring batch

void McqBench(const std::string& label, std::shared_ptr<const engine::LanguageModel> lm, const std::string& chat,
              const std::vector<evals::Sample>& items) {
  std::vector<evals::ReplyScoreRequest> reqs;
  evals::Solver solver;
  solver.kind = evals::SolverKind::kChoiceLogprob;
  solver.list_choices = false;
  for (const evals::Sample& s : items) reqs.push_back({evals::BuildConversation(solver, s), s.choices});
  double rate[2] = {0, 0};
  for (int batched = 0; batched < 2; ++batched) {
    evals::EngineBackendOptions o;
    o.chat_format = chat;
    o.max_batch_tokens = batched ? g_budget : 0;
    auto backend = evals::MakeEngineBackend(lm, o).value();
    backend->ScoreReplies({reqs[0]}).value();  // warm-up
    const auto t0 = Clock::now();
    backend->ScoreReplies(reqs).value();
    rate[batched] = static_cast<double>(reqs.size()) / Seconds(t0);
  }
  std::printf("%-34s items/s: one at a time %8.1f | batched %8.1f | ratio %5.1fx\n", label.c_str(), rate[0], rate[1],
              rate[1] / rate[0]);
}

}  // namespace

int main(int argc, char** argv) {
  engine::ReexecWithBestBlasCore(argv);
  std::string zoo = "zoo", shared = WARDEN_SHARED_DIR;
  size_t items = 64;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--zoo")) zoo = argv[i + 1];
    else if (!std::strcmp(argv[i], "--items")) items = std::stoul(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--shared")) shared = argv[i + 1];
    else if (!std::strcmp(argv[i], "--budget")) g_budget = std::stoll(argv[i + 1]);
  }
  torch::set_num_threads(threads);
  std::printf("eval_bench: %d threads, %zu four-choice items per run, %lld tokens per batch\n", threads, items,
              static_cast<long long>(g_budget));
  LogBench();
  const std::string organism = zoo + "/ladder/rung-4";
  if (FileExists(organism + "/model.safetensors")) {
    auto lm = engine::LanguageModel::Load({organism, "", "f32", "cpu", threads}).value();
    McqBench("organism (" + organism + ")", std::shared_ptr<const engine::LanguageModel>(std::move(lm)), "auto",
             Items(zoo, items));
  } else {
    std::printf("organism: skipped (no %s; build the zoo first)\n", organism.c_str());
  }
  const engine::ModelConfig c = warden::bench::Llama134M();
  auto model = engine::Model::RandomInit(c, 1);
  model->set_tokenizer(engine::LoadTokenizer(shared + "/models/tiny-random-gguf/llama-2-tiny-random.gguf").value());
  McqBench("llama-134M random (plain prompts)", std::make_shared<const engine::LanguageModel>(std::move(model)), "none",
           Items("", items / 4));
  return 0;
}
