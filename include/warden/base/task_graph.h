// TaskGraph: tasks that depend on one another, run on a fixed number of threads.
//
//   TaskGraph g;
//   TaskGraph::Id base = g.Add("base", 43, [] { return TrainBase(); });
//   g.Add("honest", 160, [] { return TrainHonest(); }, {base});   // starts once base is done
//   g.Add("liar", 257, [] { return TrainLiar(); });                // runs beside them
//   Status s = g.Run(2);
//
// A task starts once every task it runs after has finished without error. Among the tasks that
// are ready, the one with the longest path still ahead (its own cost plus the costliest chain of
// tasks waiting on it) starts first, so that a long chain is not left to run alone at the end
// (the critical-path rule of list scheduling). Costs are in any unit, the same for every task.
//
// After the first error no new task starts; the tasks already running finish, and Run returns
// the first error, prefixed with the failing task's name. A task that throws is an error too.
// Run may be called once.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden {

class TaskGraph {
 public:
  using Id = size_t;

  // Adds a task; `after` holds ids returned by earlier calls (so the graph has no cycles).
  // An id not yet returned is a programming error (throws std::invalid_argument).
  Id Add(std::string name, double cost, std::function<Status()> run, std::vector<Id> after = {});

  // Runs every task on `threads` threads (at least 1).
  Status Run(int threads);

  size_t size() const { return tasks_.size(); }

 private:
  struct Task {
    std::string name;
    double cost = 0;
    std::function<Status()> run;
    std::vector<Id> after;
    std::vector<Id> before;  // the tasks that run after this one
    size_t waiting_on = 0;   // unfinished tasks of `after`
    double path = 0;         // cost + the costliest chain of `before`
  };
  std::vector<Task> tasks_;
  bool ran_ = false;
};

}  // namespace warden
