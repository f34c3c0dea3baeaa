// Points from eval logs, FLOPs from cards, points from CSV.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"
#include "warden/forecast/sources.h"

namespace warden::forecast {
namespace {

using testing::EvalLogText;
using testing::TempDir;

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ASSERT_TRUE(WriteFileAtomic(path, text).ok()) << path;
}

// A ladder card like zoo/ladder/card.json: rungs with checkpoints.
std::string LadderCard() {
  return R"({"organism": "ladder", "models": [
    {"dir": "rung-0", "name": "rung-0", "flops": 3.5e10,
     "checkpoints": [{"dir": "rung-0/checkpoints/step-000015", "flops": 1.75e10, "step": 15}]},
    {"dir": "rung-1", "name": "rung-1", "flops": 9e11, "checkpoints": []}]})";
}

TEST(TrainingFlops, FromTheParentCardAndItsCheckpoints) {
  TempDir t("card");
  Write(t / "zoo/ladder/card.json", LadderCard());
  std::filesystem::create_directories(t / "zoo/ladder/rung-0/checkpoints/step-000015");
  std::filesystem::create_directories(t / "zoo/ladder/rung-1");
  Result<ModelFlops> r0 = LookUpTrainingFlops(t / "zoo/ladder/rung-0");
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  EXPECT_EQ(r0->flops, 3.5e10);
  EXPECT_EQ(r0->label, "rung-0");
  EXPECT_NE(r0->source.find("models[0]"), std::string::npos);
  EXPECT_EQ(*TrainingFlopsOfModel(t / "zoo/ladder/rung-1/"), 9e11);  // a trailing slash
  Result<ModelFlops> ck = LookUpTrainingFlops(t / "zoo/ladder/rung-0/checkpoints/step-000015");
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_EQ(ck->flops, 1.75e10);
  EXPECT_EQ(ck->label, "rung-0/checkpoints/step-000015");
  EXPECT_NE(ck->source.find("models[0].checkpoints[0]"), std::string::npos);
}

TEST(TrainingFlops, OwnCardFlopsOrDotEntryOrTrainState) {
  TempDir t("own");
  Write(t / "m1/card.json", R"({"flops": 1.5e12})");
  EXPECT_EQ(*TrainingFlopsOfModel(t / "m1"), 1.5e12);
  // An organism's card: its own directory is the models[] entry ".".
  Write(t / "honest/card.json", R"({"models": [{"dir": ".", "name": "honest", "flops": 2e12}]})");
  Result<ModelFlops> h = LookUpTrainingFlops(t / "honest");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->flops, 2e12);
  EXPECT_EQ(h->label, "honest");
  Write(t / "ckpt/train_state.json", R"({"format": "warden-train-state/1", "flops": 4.5e11})");
  EXPECT_EQ(*TrainingFlopsOfModel(t / "ckpt"), 4.5e11);
}

TEST(TrainingFlops, ErrorsNameTheFileAndField) {
  TempDir t("bad");
  std::filesystem::create_directories(t / "nothing");
  Status s = TrainingFlopsOfModel(t / "nothing").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("train_state.json"), std::string::npos) << s.message();
  EXPECT_EQ(TrainingFlopsOfModel(t / "missing").status().code(), StatusCode::kNotFound);

  Write(t / "neg/card.json", R"({"flops": -3})");
  s = TrainingFlopsOfModel(t / "neg").status();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("card.json.flops"), std::string::npos) << s.message();

  Write(t / "lad/card.json", R"({"models": [{"dir": "r0", "flops": "lots"}]})");
  std::filesystem::create_directories(t / "lad/r0");
  s = TrainingFlopsOfModel(t / "lad/r0").status();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("models[0].flops: is string"), std::string::npos) << s.message();

  Write(t / "broken/card.json", R"({"models": [)");
  std::filesystem::create_directories(t / "broken/r0");
  EXPECT_EQ(TrainingFlopsOfModel(t / "broken/r0").status().code(), StatusCode::kCorrupt);
}

TEST(EvalLogs, ReadsTheFooterMetric) {
  TempDir t("log");
  Write(t / "a.jsonl", EvalLogText("hazard/benchmark", "m", 0.46, 0.07, true));
  Result<EvalLogPoint> p = ReadEvalLogPoint(t / "a.jsonl", "");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->finished);
  EXPECT_EQ(p->task, "hazard/benchmark");
  EXPECT_EQ(p->model, "m");
  EXPECT_EQ(p->metric, "accuracy");
  EXPECT_EQ(p->value, 0.46);
  EXPECT_EQ(p->stderr_score, 0.07);
  EXPECT_EQ(p->n, 50);
  Status s = ReadEvalLogPoint(t / "a.jsonl", "refusal_rate").status();
  EXPECT_NE(s.message().find("no metric 'refusal_rate' (has: accuracy)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("a.jsonl:5"), std::string::npos) << s.message();
}

TEST(EvalLogs, UnfinishedRunsAreSkippedWithAReason) {
  TempDir t("unfinished");
  Write(t / "nofooter.jsonl", EvalLogText("t", "m", 0, 0, false));
  std::string torn = EvalLogText("t", "m", 0.5, 0.05, true);
  torn.resize(torn.size() - 20);  // killed while writing the footer
  Write(t / "torn.jsonl", torn);
  Write(t / "header-only.jsonl", EvalLogText("t", "m", 0, 0, false, 0));
  for (const char* name : {"nofooter.jsonl", "torn.jsonl", "header-only.jsonl"}) {
    Result<EvalLogPoint> p = ReadEvalLogPoint(t / name, "");
    ASSERT_TRUE(p.ok()) << name << ": " << p.status().ToString();
    EXPECT_FALSE(p->finished) << name;
    Status s = ObservationFromEvalLog(t / name, "", 1e12).status();
    EXPECT_NE(s.message().find("unfinished"), std::string::npos) << s.message();
  }
  LogSourceOptions o;
  o.flops["m"] = 1e12;
  Result<LogScan> scan = ObservationsFromLogs({t / "nofooter.jsonl", t / "torn.jsonl"}, o);
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->observations.empty());
  ASSERT_EQ(scan->skipped.size(), 2u);
  EXPECT_EQ(scan->skipped[0].second, "no footer: an unfinished run");
}

TEST(EvalLogs, BadLogsAreErrorsNamingTheLog) {
  TempDir t("badlog");
  Write(t / "empty.jsonl", "");
  Write(t / "notalog.jsonl", "{\"type\": \"sample\"}\n");
  Write(t / "garbage.jsonl", "not json\n");
  std::string bad_value = EvalLogText("t", "m", 0.5, 0.05, true);
  bad_value.replace(bad_value.find("\"value\":0.5"), 11, "\"value\":1.5");
  Write(t / "value.jsonl", bad_value);
  for (const char* name : {"empty.jsonl", "notalog.jsonl", "garbage.jsonl", "value.jsonl"}) {
    Status s = ReadEvalLogPoint(t / name, "").status();
    EXPECT_FALSE(s.ok()) << name;
    EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
  }
  EXPECT_NE(ReadEvalLogPoint(t / "none.jsonl", "").status().message().find("none.jsonl"), std::string::npos);
}

TEST(EvalLogs, FlopsFromTheModelsCardOrByHand) {
  TempDir t("flops");
  Write(t / "zoo/ladder/card.json", LadderCard());
  std::filesystem::create_directories(t / "zoo/ladder/rung-1");
  const std::string model = t / "zoo/ladder/rung-1";
  Write(t / "logs/r1/h.jsonl", EvalLogText("hazard", model, 0.3, 0.06, true));
  Result<Observation> o = ObservationFromEvalLog(t / "logs/r1/h.jsonl", "accuracy", 0);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->flops, 9e11);
  EXPECT_EQ(o->label, "rung-1");
  EXPECT_EQ(o->score, 0.3);
  EXPECT_EQ(o->n, 50);
  EXPECT_EQ(ObservationFromEvalLog(t / "logs/r1/h.jsonl", "accuracy", 5e11)->flops, 5e11);

  // A model with no card: an error naming the log, unless its FLOPs are given by hand.
  Write(t / "logs/x/h.jsonl", EvalLogText("hazard", "api-model", 0.3, 0.06, true));
  Status s = ObservationFromEvalLog(t / "logs/x/h.jsonl", "", 0).status();
  EXPECT_NE(s.message().find("logs/x/h.jsonl"), std::string::npos) << s.message();
  LogSourceOptions opt;
  opt.flops["api-model"] = 7e12;
  Result<std::vector<std::string>> logs = ListEvalLogs(t / "logs");
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->size(), 2u);
  Result<LogScan> scan = ObservationsFromLogs(*logs, opt);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  ASSERT_EQ(scan->observations.size(), 2u);
  EXPECT_EQ(scan->observations[0].flops, 9e11);  // logs/r1 sorts first
  EXPECT_EQ(scan->observations[1].flops, 7e12);
  EXPECT_EQ(scan->task, "hazard");
}

TEST(EvalLogs, SeveralTasksNeedAChoice) {
  TempDir t("tasks");
  Write(t / "a.jsonl", EvalLogText("hazard", "m1", 0.3, 0.06, true));
  Write(t / "b.jsonl", EvalLogText("knowledge", "m1", 0.5, 0.06, true));
  LogSourceOptions o;
  o.flops["m1"] = 1e12;
  Status s = ObservationsFromLogs({t / "a.jsonl", t / "b.jsonl"}, o).status();
  EXPECT_NE(s.message().find("several tasks (hazard, knowledge)"), std::string::npos) << s.message();
  o.task = "knowledge";
  Result<LogScan> scan = ObservationsFromLogs({t / "a.jsonl", t / "b.jsonl"}, o);
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->observations.size(), 1u);
  EXPECT_EQ(scan->observations[0].score, 0.5);
  EXPECT_EQ(scan->skipped.size(), 1u);
}

TEST(PointsCsv, ReadsColumnsInAnyOrder) {
  TempDir t("csv");
  Write(t / "p.csv", "score,label,flops,n,stderr\n0.3,a,1e11,50,0.05\n0.5,b,1e12,,\n");
  Result<std::vector<Observation>> p = ReadPointsCsv(t / "p.csv");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].label, "a");
  EXPECT_EQ((*p)[0].flops, 1e11);
  EXPECT_EQ((*p)[0].n, 50);
  EXPECT_EQ((*p)[0].stderr_score, 0.05);
  EXPECT_EQ((*p)[1].stderr_score, 0);
  Write(t / "bad.csv", "label,flops,score\na,1e11,0.3\nb,lots,0.4\n");
  Status s = ReadPointsCsv(t / "bad.csv").status();
  EXPECT_NE(s.message().find("bad.csv:3: column 'flops': 'lots' is not a finite number"), std::string::npos)
      << s.message();
  Write(t / "nocol.csv", "label,score\na,0.3\n");
  EXPECT_FALSE(ReadPointsCsv(t / "nocol.csv").ok());
  Write(t / "short.csv", "label,flops,score\na,1e11\n");
  EXPECT_NE(ReadPointsCsv(t / "short.csv").status().message().find("short.csv:2"), std::string::npos);
}

}  // namespace
}  // namespace warden::forecast
