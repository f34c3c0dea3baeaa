// TaskGraph (task_graph.h): list scheduling by longest remaining path.
#include "warden/base/task_graph.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace warden {

TaskGraph::Id TaskGraph::Add(std::string name, double cost, std::function<Status()> run, std::vector<Id> after) {
  const Id id = tasks_.size();
  for (Id a : after) {
    if (a >= id) throw std::invalid_argument("TaskGraph::Add: task '" + name + "' runs after an unknown task");
  }
  Task t;
  t.name = std::move(name);
  t.cost = std::max(0.0, cost);
  t.run = std::move(run);
  t.after = std::move(after);
  tasks_.push_back(std::move(t));
  for (Id a : tasks_[id].after) tasks_[a].before.push_back(id);
  return id;
}

Status TaskGraph::Run(int threads) {
  if (ran_) return Status::FailedPrecondition("TaskGraph::Run called twice");
  ran_ = true;
  // Longest path ahead of each task: ids are in topological order, so walk them backwards.
  for (size_t i = tasks_.size(); i-- > 0;) {
    double longest = 0;
    for (Id b : tasks_[i].before) longest = std::max(longest, tasks_[b].path);
    tasks_[i].path = tasks_[i].cost + longest;
    tasks_[i].waiting_on = tasks_[i].after.size();
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Id> ready;
  for (Id i = 0; i < tasks_.size(); ++i) {
    if (tasks_[i].waiting_on == 0) ready.push_back(i);
  }
  size_t running = 0;
  Status first_error;

  auto worker = [&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      // Something to start, an error, or nothing running that could make a task ready.
      cv.wait(lock, [&] { return !ready.empty() || !first_error.ok() || running == 0; });
      if (!first_error.ok() || ready.empty()) return;
      // The ready task with the longest path ahead; ties go to the task added first.
      auto best = std::max_element(ready.begin(), ready.end(), [&](Id a, Id b) {
        return tasks_[a].path < tasks_[b].path || (tasks_[a].path == tasks_[b].path && a > b);
      });
      const Id id = *best;
      ready.erase(best);
      ++running;
      lock.unlock();
      Status s;
      try {
        s = tasks_[id].run ? tasks_[id].run() : Status::Ok();
      } catch (const std::exception& e) {
        s = Status::Internal(e.what());
      } catch (...) {
        s = Status::Internal("unknown exception");
      }
      lock.lock();
      --running;
      if (!s.ok()) {
        if (first_error.ok()) first_error = s.WithContext(tasks_[id].name);
      } else {
        for (Id b : tasks_[id].before) {
          if (--tasks_[b].waiting_on == 0) ready.push_back(b);
        }
      }
      cv.notify_all();
    }
  };
  const int n = std::max(1, threads);
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  return first_error;
}

}  // namespace warden
