// The built-in evaluation suites: named sets of tasks over public datasets (read in place from
// the shared directory) and over a model-organism zoo's held-out data.
//
//   warden eval list                     # each suite with what it measures, source and licence
//   auto tasks = LoadSuite("refusal", {.shared_dir = "../shared"}).value();
//
// With a zoo (`zoo_dir`), refusal and over-refusal use only the prompts the zoo held out of
// training (zoo/benchmarks/*.jsonl), so that an organism is measured on what it never saw;
// hazard and knowledge exist only in a zoo's world and need one.
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/evals/task.h"

namespace warden::evals {

struct SuiteInfo {
  std::string name;
  std::string measures;  // one line
  std::string source;    // datasets and where they come from
  std::string licence;
  bool needs_zoo = false;
};

const std::vector<SuiteInfo>& ListSuites();

struct SuiteContext {
  std::string shared_dir;  // the datasets' root ("../shared")
  std::string zoo_dir;     // optional: a built zoo
  BadRows bad_rows = BadRows::kSkip;
};

// The tasks of a suite; errors name the missing dataset file or the unknown suite.
Result<std::vector<Task>> LoadSuite(const std::string& name, const SuiteContext& context);

}  // namespace warden::evals
