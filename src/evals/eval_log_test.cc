// The eval log on a disk that fills up: RunTask reports the failed write as an error naming the
// log, and a resumed run on a healthy disk finishes with every sample exactly once, running
// again only the samples whose records had not been written whole.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "evals/test_tasks.h"
#include "warden/base/env.h"
#include "warden/base/fault_env.h"
#include "warden/evals/eval_log.h"
#include "warden/evals/task.h"

namespace warden::evals {
namespace {

// Answers "Paris" to capital questions and counts how often each sample was asked: no model.
class CountingBackend final : public ModelBackend {
 public:
  ModelIdentity Identity() const override { return {"fake", "counting", "", "answers Paris to capital questions"}; }
  Result<std::vector<Completion>> Generate(const std::vector<Conversation>& convs, const GenerateOptions&) override {
    std::vector<Completion> out;
    for (const Conversation& c : convs) {
      const std::string& q = c.back().content;
      ++asked[q.substr(0, q.find(':'))];  // "q7: ..." -> "q7"
      Completion done;
      done.text = q.find("capital") != std::string::npos ? "Paris" : "I cannot say";
      done.finish_reason = "stop";
      out.push_back(done);
    }
    return out;
  }
  Result<std::vector<std::vector<double>>> ScoreReplies(const std::vector<ReplyScoreRequest>&) override {
    return Status::Unsupported("the counting backend is black-box");
  }
  std::map<std::string, int> asked;  // sample id -> Generate calls that included it
};

constexpr size_t kSamples = 20;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The sample ids in the log's whole records, in order.
std::vector<std::string> LoggedIds(const std::string& path, EvalLogScan* scan_out) {
  std::vector<std::string> ids;
  auto scan = ScanEvalLog(path, [&](const nlohmann::json& r) {
    if (r["type"] == "sample") ids.push_back(r["id"].get<std::string>());
    return true;
  });
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  if (scan.ok()) *scan_out = *scan;
  return ids;
}

class FullDisk : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "warden-full-disk-" + std::to_string(getpid()) + "-" + GetParam();
    ASSERT_TRUE(Env::Default()->CreateDirs(dir_).ok());
  }
  void TearDown() override { EXPECT_TRUE(Env::Default()->RemoveAll(dir_).ok()); }
  std::string dir_;
};

TEST_P(FullDisk, FailedWriteIsAnErrorAndTheResumedRunLosesAndRepeatsNothing) {
  Task task = test::QuestionTask(kSamples, "test/full-disk");
  for (Sample& s : task.dataset.samples) s.input = s.id + ": " + s.input;  // the backend counts by id
  FaultInjectionEnv env(Env::Default());
  env.FreezeClock(1700000000, 0);  // the same times and durations in every run: logs compare byte for byte
  RunOptions o;
  o.batch = 4;
  o.env = &env;

  // A reference run on a healthy disk: where each record lies.
  o.log_path = dir_ + "/reference.jsonl";
  CountingBackend reference_backend;
  auto reference = RunTask(task, reference_backend, o);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  const std::vector<std::string> ref_lines = Lines(env.ReadFile(o.log_path).value());
  ASSERT_EQ(ref_lines.size(), kSamples + 2);  // header, samples, footer
  // The disk fills half-way through line `torn` (0: the header; kSamples + 1: the footer).
  const std::string where = GetParam();
  const size_t torn = where == "header" ? 0 : where == "sample" ? 8 : kSamples + 1;
  uint64_t budget = 0;
  for (size_t i = 0; i < torn; ++i) budget += ref_lines[i].size() + 1;
  budget += ref_lines[torn].size() / 2;

  // Run 1: out of space part-way. An error naming the log, not a crash or an exception.
  o.log_path = dir_ + "/run.jsonl";
  env.FailWritesAfter(budget);
  CountingBackend first;
  Result<TaskResult> failed = Status::Internal("not run");
  ASSERT_NO_THROW(failed = RunTask(task, first, o));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError);
  EXPECT_EQ(failed.status().message(), "cannot write to " + o.log_path + ": No space left on device");
  EXPECT_EQ(env.GetFileSize(o.log_path).value(), budget);  // ends in the torn fragment
  std::cout << "    disk full in the " << where << " line: " << failed.status().ToString() << "\n";

  // The whole records before the tear are what finished; the torn line is not one of them.
  const size_t finished = torn == 0 ? 0 : std::min(torn - 1, kSamples);
  std::set<std::string> finished_ids;
  if (torn > 0) {
    EvalLogScan scan;
    std::vector<std::string> ids = LoggedIds(o.log_path, &scan);
    EXPECT_TRUE(scan.torn_tail);
    EXPECT_FALSE(scan.has_footer);
    ASSERT_EQ(ids.size(), finished);
    finished_ids.insert(ids.begin(), ids.end());
  }

  // Run 2, resumed on a healthy disk.
  env.Heal();
  CountingBackend second;
  auto resumed = RunTask(task, second, o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->resumed, finished);
  EXPECT_EQ(resumed->attempted, kSamples);
  EXPECT_EQ(resumed->errors, 0u);
  EXPECT_DOUBLE_EQ(resumed->estimate.value, reference->estimate.value);
  // Exactly the unfinished samples are asked again, each once; no finished one is.
  for (const Sample& s : task.dataset.samples) {
    const bool was_finished = finished_ids.count(s.id) > 0;
    EXPECT_EQ(second.asked.count(s.id) ? second.asked.at(s.id) : 0, was_finished ? 0 : 1) << s.id;
  }
  EXPECT_EQ(second.asked.size(), kSamples - finished);

  // Every sample once, in a log whose header and records are the reference's byte for byte: the
  // torn fragment was cut off, not left in the middle. (Only the footer's summary differs: it
  // counts the resumed samples.)
  EvalLogScan scan;
  std::vector<std::string> ids = LoggedIds(o.log_path, &scan);
  EXPECT_FALSE(scan.torn_tail);
  EXPECT_TRUE(scan.has_footer);
  ASSERT_EQ(ids.size(), kSamples);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), kSamples);
  const std::vector<std::string> lines = Lines(env.ReadFile(o.log_path).value());
  ASSERT_EQ(lines.size(), ref_lines.size());
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i], ref_lines[i]) << "line " << i + 1;
  std::cout << "    resumed " << resumed->resumed << " finished samples, asked the model again for "
            << second.asked.size() << ", log has " << ids.size() << " samples\n";
}

INSTANTIATE_TEST_SUITE_P(EvalLog, FullDisk, ::testing::Values("header", "sample", "footer"),
                         [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

TEST(EvalLog, AWriterStopsAtItsFirstFailedWrite) {
  const std::string path = ::testing::TempDir() + "warden-writer-" + std::to_string(getpid()) + ".jsonl";
  FaultInjectionEnv env(Env::Default());
  auto w = EvalLogWriter::Create(path, {{"type", "header"}, {"format", kEvalLogFormat}}, &env);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  env.FailWritesAfter(3);
  EXPECT_FALSE((*w)->Write({{"type", "sample"}, {"id", "a"}}).ok());
  env.Heal();
  // Space is back, but a record appended now would follow a torn line and make the log corrupt
  // in the middle: the writer keeps failing, so the torn line stays last.
  Status again = (*w)->Write({{"type", "sample"}, {"id", "b"}});
  EXPECT_EQ(again.message(), "cannot write to " + path + ": No space left on device");
  EXPECT_FALSE((*w)->Close().ok());
  EvalLogScan scan;
  EXPECT_TRUE(LoggedIds(path, &scan).empty());
  EXPECT_TRUE(scan.torn_tail);
  EXPECT_TRUE(Env::Default()->RemoveFile(path).ok());
}

}  // namespace
}  // namespace warden::evals
