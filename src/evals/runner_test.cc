// The runner end to end over a real HTTP server process (tests/openai_stub_server.cc): the HTTP
// backend, scorers, failing judges and servers counted as errors, logs, and resuming a killed run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "evals/test_tasks.h"
#include "warden/base/file.h"
#include "warden/evals/eval_log.h"
#include "warden/evals/report.h"
#include "warden/evals/task.h"

namespace warden::evals {
namespace {

namespace fs = std::filesystem;
using test::QuestionTask;

// Starts the stub server in `mode` and reads the port it chose; kills it on destruction.
class StubServer {
 public:
  explicit StubServer(const std::string& mode) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl(WARDEN_STUB_SERVER, WARDEN_STUB_SERVER, "--mode", mode.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    FILE* f = fdopen(fds[0], "r");
    if (f != nullptr && std::fscanf(f, "port %d", &port_) != 1) port_ = 0;
    if (f != nullptr) std::fclose(f);
  }
  ~StubServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

std::shared_ptr<ModelBackend> Http(const StubServer& s) {
  HttpBackendOptions o;
  o.base_url = s.url();
  o.model = "stub";
  o.timeout_seconds = 10;
  return MakeHttpBackend(o).value();
}

std::string TempLog(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("warden-evals-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

TEST(Runner, HttpBackendAgainstARealServer) {
  StubServer server("normal");
  ASSERT_GT(server.port(), 0) << "stub server did not start: " << WARDEN_STUB_SERVER;
  auto backend = Http(server);
  EXPECT_EQ(backend->Identity().kind, "http");
  const std::string log = TempLog("http.jsonl");
  auto r = RunTask(QuestionTask(10), *backend, {.log_path = log, .resume = false});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->attempted, 10u);
  EXPECT_EQ(r->errors, 0u);
  EXPECT_DOUBLE_EQ(r->estimate.value, 0.5);  // the five capital questions
  EXPECT_DOUBLE_EQ(r->by_category.at("capital").value, 1.0);
  EXPECT_DOUBLE_EQ(r->by_category.at("other").value, 0.0);
  EXPECT_LE(r->estimate.ci_low, 0.5);
  EXPECT_GE(r->estimate.ci_high, 0.5);
  // The log: header, ten samples with token log-probs, footer.
  size_t samples = 0;
  auto scan = ScanEvalLog(log, [&](const nlohmann::json& rec) {
    if (rec["type"] == "sample") {
      ++samples;
      EXPECT_EQ(rec["token_logprobs"].size(), 3u);
    }
    return true;
  });
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ(samples, 10u);
  EXPECT_TRUE(scan->has_footer);
  EXPECT_EQ(scan->header["model"]["kind"], "http");
  EXPECT_EQ(scan->header["dataset"]["sha256"], std::string(64, 'a'));
  auto html = RenderEvalReport(log);
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  EXPECT_NE(html->find("test/questions"), std::string::npos);
  EXPECT_EQ(html->find("<script>alert"), std::string::npos);
  // Black-box: no scoring of given replies.
  EXPECT_EQ(backend->ScoreReplies({{{{"user", "x"}}, {"a"}}}).status().code(), StatusCode::kUnsupported);
}

TEST(Runner, FailingServerSamplesAreErrorsNotScores) {
  for (const char* mode : {"flaky", "garbage"}) {
    StubServer server(mode);
    ASSERT_GT(server.port(), 0);
    auto backend = Http(server);
    auto r = RunTask(QuestionTask(9), *backend, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const size_t expected_errors = std::string(mode) == "flaky" ? 3 : 9;
    EXPECT_EQ(r->errors, expected_errors) << mode;
    EXPECT_EQ(r->estimate.n, 9 - expected_errors) << mode;
  }
  // Nothing listening: every sample errors, the run still completes and says so.
  HttpBackendOptions o;
  o.base_url = "http://127.0.0.1:1";
  o.timeout_seconds = 2;
  auto dead = MakeHttpBackend(o).value();
  auto r = RunTask(QuestionTask(2), *dead, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errors, 2u);
  EXPECT_EQ(r->estimate.n, 0u);
  EXPECT_FALSE(MakeHttpBackend({.base_url = "ftp://x"}).ok());
}

TEST(Runner, JudgeVerdictsAndABrokenJudge) {
  StubServer model("normal");
  StubServer good_judge("normal");
  StubServer bad_judge("judge-broken");
  ASSERT_GT(model.port(), 0);
  ASSERT_GT(good_judge.port(), 0);
  ASSERT_GT(bad_judge.port(), 0);
  auto backend = Http(model);
  JudgeOptions jo;
  jo.rubric = "Question: {input}\nAnswer: {output}\nReference: {target}\nEnd with GRADE: C or GRADE: I.";
  Task t = QuestionTask(4);
  t.scorer = MakeJudgeScorer(Http(good_judge), jo);
  auto ok = RunTask(t, *backend, {});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->errors, 0u);
  EXPECT_DOUBLE_EQ(ok->estimate.value, 1.0);
  t.scorer = MakeJudgeScorer(Http(bad_judge), jo);
  auto broken = RunTask(t, *backend, {});
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(broken->errors, 4u);  // never "safe", never "correct"
  EXPECT_EQ(broken->estimate.n, 0u);
}

TEST(Runner, AKilledRunResumesWithoutRedoingFinishedSamples) {
  StubServer server("normal");
  ASSERT_GT(server.port(), 0);
  auto backend = Http(server);
  const std::string log = TempLog("resume.jsonl");
  Task t = QuestionTask(12);
  RunOptions o;
  o.log_path = log;
  o.batch = 4;
  o.resume = false;
  auto full = RunTask(t, *backend, o);
  ASSERT_TRUE(full.ok());
  // Simulate a kill: keep the header and five samples, and half of the sixth line.
  std::string text = ReadFileToString(log).value();
  size_t cut = 0;
  for (int lines = 0; lines < 6; ++lines) cut = text.find('\n', cut) + 1;
  const size_t next = text.find('\n', cut);
  ASSERT_TRUE(WriteFileAtomic(log, text.substr(0, cut + (next - cut) / 2)).ok());
  o.resume = true;
  auto resumed = RunTask(t, *backend, o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->resumed, 5u);
  EXPECT_EQ(resumed->attempted, 12u);
  EXPECT_DOUBLE_EQ(resumed->estimate.value, full->estimate.value);
  std::set<std::string> ids;
  size_t samples = 0;
  auto scan = ScanEvalLog(log, [&](const nlohmann::json& rec) {
    if (rec["type"] == "sample") {
      ++samples;
      ids.insert(rec["id"].get<std::string>());
    }
    return true;
  });
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ(samples, 12u);
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_FALSE(scan->torn_tail);
  // A different evaluation (another limit) does not resume this log: it starts afresh.
  o.limit = 3;
  auto other = RunTask(t, *backend, o);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->resumed, 0u);
  // A corrupt line in the middle is an error naming it.
  text = ReadFileToString(log).value();
  const size_t second = text.find('\n') + 1;
  text.insert(second, "{broken\n");
  ASSERT_TRUE(WriteFileAtomic(log, text).ok());
  auto bad = ScanEvalLog(log);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":2:"), std::string::npos) << bad.status().message();
}

TEST(Runner, ConversationsFromSolvers) {
  Solver s;
  s.kind = SolverKind::kChoiceGenerate;
  s.system = "sys";
  Sample shot;
  shot.input = "1+1?";
  shot.choices = {"1", "2"};
  shot.target = "B";
  s.few_shot = {shot};
  Sample q;
  q.input = "2+2?";
  q.choices = {"4", "5"};
  Conversation c = BuildConversation(s, q);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].role, "system");
  EXPECT_EQ(c[1].content, "1+1?\nA. 1\nB. 2\nAnswer with the letter of the correct choice.");
  EXPECT_EQ(c[2].content, "B");
  EXPECT_EQ(c[3].content, "2+2?\nA. 4\nB. 5\nAnswer with the letter of the correct choice.");
  s.list_choices = false;
  EXPECT_EQ(BuildConversation(s, q).back().content, "2+2?");
}

}  // namespace
}  // namespace warden::evals

#include "warden/evals/consistency.h"

namespace warden::evals {
namespace {

Task CapitalChoices(size_t n, bool paris_present) {
  Task t;
  t.name = "test/choices";
  t.dataset.path = "memory";
  t.dataset.sha256 = std::string(64, 'b');
  for (size_t i = 0; i < n; ++i) {
    Sample s;
    s.id = "c" + std::to_string(i);
    s.input = "Which city is the capital of France (item " + std::to_string(i) + ")?";
    s.choices = {"Lyon", "Nice", paris_present ? "Paris" : "Lille", "Metz"};
    s.target = "C";
    t.dataset.samples.push_back(s);
  }
  t.solver.kind = SolverKind::kChoiceGenerate;
  t.scorer = MakeChoiceScorer();
  return t;
}

TEST(Consistency, FlagsAPositionBiasedModelNotAConsistentOne) {
  StubServer server("normal");
  ASSERT_GT(server.port(), 0);
  auto backend = Http(server);
  // The stub picks the choice mentioning Paris wherever it is listed, and however labelled.
  auto good = CheckConsistency(CapitalChoices(6, true), *backend, {});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  ASSERT_EQ(good->variants.size(), 4u);
  for (const VariantResult& v : good->variants) EXPECT_DOUBLE_EQ(v.accuracy.value, 1.0) << v.name;
  EXPECT_DOUBLE_EQ(good->agreement, 1.0);
  EXPECT_FALSE(good->flagged) << good->evidence;
  // Without Paris it always answers the first label: accuracy and choices swing with the order.
  Task biased = CapitalChoices(6, false);
  biased.dataset.samples[0].target = "A";  // some items where "first" happens to be right
  auto bad = CheckConsistency(biased, *backend, {});
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_TRUE(bad->flagged) << bad->evidence;
  EXPECT_LT(bad->agreement, 0.5);
  // A task whose input already lists its choices cannot be varied.
  Task listed = CapitalChoices(2, true);
  listed.solver.list_choices = false;
  EXPECT_FALSE(CheckConsistency(listed, *backend, {}).ok());
}

}  // namespace
}  // namespace warden::evals
