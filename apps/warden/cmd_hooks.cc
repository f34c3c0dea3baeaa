// warden hooks: list a model's hook points with their documented shapes.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"

namespace warden::cli {
namespace {

struct HooksArgs {
  ModelOptions model;
  std::string pattern = "*";
  bool json = false;
};

void RunHooks(const HooksArgs& a) {
  auto model = a.model.Load();
  nlohmann::json out = nlohmann::json::array();
  for (const engine::HookInfo& h : model->Hooks(a.pattern).ValueOrThrow()) {
    std::string shape = "[";
    for (size_t i = 0; i < h.shape.size(); ++i) shape += (i ? ", " : "") + h.shape[i];
    shape += "]";
    if (a.json) {
      out.push_back({{"name", h.name}, {"shape", h.shape}});
    } else {
      std::cout << h.name << "  " << shape << "\n";
    }
  }
  if (a.json) std::cout << out.dump(2) << "\n";
}

}  // namespace

void RegisterHooks(CLI::App& app) {
  auto args = std::make_shared<HooksArgs>();
  CLI::App* cmd = app.add_subcommand("hooks", "List a model's hook points and their shapes");
  args->model.AddTo(*cmd);
  cmd->add_option("--filter", args->pattern, "Only names matching this glob (default *)");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args] { RunHooks(*args); });
}

}  // namespace warden::cli
