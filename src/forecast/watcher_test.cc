// ForecastWatcher: refits when a new finished log appears in a directory, and only then.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"
#include "warden/forecast/watcher.h"

namespace warden::forecast {
namespace {

using testing::EvalLogText;
using testing::TempDir;

TEST(ForecastWatcher, RefitsOnNewFinishedLogs) {
  TempDir t("watch");
  const std::string dir = t / "logs";
  std::filesystem::create_directories(dir);
  WatchOptions o;
  o.dir = dir;
  o.forecast.bootstrap = 40;
  o.forecast.floor = 0.0;
  o.svg_path = t / "out.svg";
  o.json_path = t / "out.json";
  for (int i = 0; i < 5; ++i) o.source.flops["m" + std::to_string(i)] = std::pow(10.0, 11 + 0.5 * i);
  const double scores[] = {0.05, 0.12, 0.3, 0.55, 0.7};
  auto write = [&](int i, bool finished) {
    ASSERT_TRUE(WriteFileAtomic(dir + "/r" + std::to_string(i) + ".jsonl",
                                EvalLogText("hazard", "m" + std::to_string(i), scores[i], 0.05, finished))
                    .ok());
  };
  ForecastWatcher w(o);
  ASSERT_TRUE(w.Poll().ok());  // an empty directory: nothing to fit
  EXPECT_EQ(w.latest(), nullptr);
  write(0, true);
  write(1, true);
  Result<bool> r = w.Poll();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(*r);
  EXPECT_NE(w.status().find("waiting: 2 distinct compute values"), std::string::npos) << w.status();

  write(2, true);
  r = w.Poll();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  ASSERT_NE(w.latest(), nullptr);
  EXPECT_EQ(w.latest()->observations.size(), 3u);
  EXPECT_TRUE(FileExists(o.svg_path));
  EXPECT_TRUE(FileExists(o.json_path));
  EXPECT_FALSE(*w.Poll());  // nothing new
  EXPECT_EQ(w.status(), "no change");

  write(3, false);  // a run in progress: seen, skipped, no refit
  r = w.Poll();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  ASSERT_EQ(w.last_scan().skipped.size(), 1u);
  EXPECT_NE(w.last_scan().skipped[0].second.find("unfinished"), std::string::npos);

  write(3, true);  // it finishes
  write(4, true);
  r = w.Poll();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(w.latest()->observations.size(), 5u);
  EXPECT_EQ(w.refits(), 2);
  Result<std::string> json = ReadFileToString(o.json_path);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"points\""), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(*json)["points"].size(), 5u);
}

TEST(ForecastWatcher, ACorruptLogIsAnErrorAndTheLastForecastStays) {
  TempDir t("watchbad");
  WatchOptions o;
  o.dir = t.path();
  o.forecast.bootstrap = 30;
  o.forecast.floor = 0.0;
  for (int i = 0; i < 3; ++i) {
    o.source.flops["m" + std::to_string(i)] = std::pow(10.0, 11 + i);
    ASSERT_TRUE(WriteFileAtomic(t / ("r" + std::to_string(i) + ".jsonl"),
                                EvalLogText("t", "m" + std::to_string(i), 0.1 + 0.2 * i, 0.05, true))
                    .ok());
  }
  ForecastWatcher w(o);
  ASSERT_TRUE(*w.Poll());
  ASSERT_TRUE(WriteFileAtomic(t / "zz.jsonl", "garbage\n").ok());
  Result<bool> r = w.Poll();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("zz.jsonl"), std::string::npos) << r.status().ToString();
  ASSERT_NE(w.latest(), nullptr);
  EXPECT_EQ(w.latest()->observations.size(), 3u);
  std::filesystem::remove(t / "zz.jsonl");
  r = w.Poll();  // back to the fitted set: nothing new to fit
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(*r);
  EXPECT_EQ(w.refits(), 1);
  WatchOptions missing = o;
  missing.dir = t / "no-such-dir";
  EXPECT_EQ(ForecastWatcher(missing).Poll().status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace warden::forecast
