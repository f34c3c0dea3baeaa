#include "warden/base/task_graph.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace warden {
namespace {

TEST(TaskGraph, RunsEachTaskOnceAfterItsDependencies) {
  TaskGraph g;
  std::mutex mu;
  std::vector<std::string> order;
  auto record = [&](std::string name) {
    return [&, name] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(name);
      return Status::Ok();
    };
  };
  const auto a = g.Add("a", 1, record("a"));
  const auto b = g.Add("b", 1, record("b"), {a});
  g.Add("c", 1, record("c"), {a, b});
  g.Add("d", 1, record("d"));
  ASSERT_TRUE(g.Run(3).ok());
  ASSERT_EQ(order.size(), 4u);
  auto pos = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  EXPECT_LT(pos("a"), pos("b"));
  EXPECT_LT(pos("b"), pos("c"));
}

TEST(TaskGraph, OneThreadStartsTheLongestPathFirst) {
  TaskGraph g;
  std::vector<std::string> order;
  auto record = [&](std::string name) {
    return [&, name] {
      order.push_back(name);
      return Status::Ok();
    };
  };
  g.Add("short", 5, record("short"));
  const auto head = g.Add("chain-head", 1, record("chain-head"));
  g.Add("chain-tail", 10, record("chain-tail"), {head});  // path 11 beats 5
  g.Add("medium", 7, record("medium"));
  ASSERT_TRUE(g.Run(1).ok());
  EXPECT_EQ(order, (std::vector<std::string>{"chain-head", "chain-tail", "medium", "short"}));
}

TEST(TaskGraph, IndependentTasksRunAtTheSameTime) {
  // Each task waits (up to 10 s) until both have started: with two threads both see 2.
  TaskGraph g;
  std::atomic<int> started{0};
  std::atomic<int> saw_both{0};
  auto meet = [&] {
    ++started;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    if (started.load() == 2) ++saw_both;
    return Status::Ok();
  };
  g.Add("x", 1, meet);
  g.Add("y", 1, meet);
  ASSERT_TRUE(g.Run(2).ok());
  EXPECT_EQ(saw_both.load(), 2);
}

TEST(TaskGraph, AnErrorStopsWhatDependsOnItAndNamesTheTask) {
  TaskGraph g;
  bool dependent_ran = false;
  const auto bad = g.Add("tokenizer", 1, [] { return Status::Corrupt("vocab.json: line 3"); });
  g.Add("model", 1, [&] {
    dependent_ran = true;
    return Status::Ok();
  }, {bad});
  const Status s = g.Run(2);
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.message(), "tokenizer: vocab.json: line 3");
  EXPECT_FALSE(dependent_ran);
}

TEST(TaskGraph, AnExceptionIsAnError) {
  TaskGraph g;
  g.Add("thrower", 1, []() -> Status { throw std::runtime_error("boom"); });
  const Status s = g.Run(1);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("thrower: boom"), std::string::npos);
}

TEST(TaskGraph, AfterAnUnknownTaskIsAProgrammingError) {
  TaskGraph g;
  EXPECT_THROW(g.Add("a", 1, [] { return Status::Ok(); }, {3}), std::invalid_argument);
}

TEST(TaskGraph, RunsOnlyOnce) {
  TaskGraph g;
  g.Add("a", 1, [] { return Status::Ok(); });
  ASSERT_TRUE(g.Run(1).ok());
  EXPECT_EQ(g.Run(1).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace warden
