// warden cache: run a prompt and write the activations of the chosen hooks to safetensors,
// one tensor per hook name ([1, pos, ...] float32), with the prompt's ids and the model's sha256
// in the file's metadata.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"

namespace warden::cli {
namespace {

struct CacheArgs {
  ModelOptions model;
  std::string prompt, hooks, out;
  bool json = false;
};

void RunCache(const CacheArgs& a) {
  auto model = a.model.Load();
  if (model->tokenizer() == nullptr) {
    throw Error(Status::InvalidArgument(a.model.model + ": no tokenizer found; pass --tokenizer"));
  }
  std::vector<int32_t> ids = model->tokenizer()->Encode(a.prompt, {});
  auto written = model->CaptureToSafetensors(ids, a.hooks, a.out, {{"prompt", a.prompt}}).ValueOrThrow();
  if (a.json) {
    nlohmann::json shapes = nlohmann::json::object();
    for (const auto& t : written) shapes[t.name] = t.shape;
    std::cout << nlohmann::json{{"out", a.out}, {"tokens", ids}, {"tensors", shapes}}.dump(2) << "\n";
    return;
  }
  for (const auto& t : written) std::cout << t.name << " " << nlohmann::json(t.shape).dump() << "\n";
  std::cout << "wrote " << written.size() << " tensors to " << a.out << "\n";
}

}  // namespace

void RegisterCache(CLI::App& app) {
  auto args = std::make_shared<CacheArgs>();
  CLI::App* cmd = app.add_subcommand("cache", "Capture hook activations of a prompt to safetensors");
  args->model.AddTo(*cmd);
  cmd->add_option("--prompt", args->prompt, "Prompt text")->required();
  cmd->add_option("--hooks", args->hooks,
                  "Hook names or globs, comma-separated (e.g. 'blocks.*.hook_resid_post')")->required();
  cmd->add_option("--out", args->out, "Output .safetensors file")->required();
  cmd->add_flag("--json", args->json, "Print a JSON summary");
  cmd->callback([args] { RunCache(*args); });
}

}  // namespace warden::cli
