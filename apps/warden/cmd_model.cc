// warden model info PATH: what a model file is (architecture, sizes, dtypes, sha256).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"

namespace warden::cli {
namespace {

struct ModelInfoArgs {
  ModelOptions model;
  bool json = false;
};

void RunModelInfo(const ModelInfoArgs& a) {
  auto model = a.model.Load();
  const engine::ModelConfig& c = model->config();
  nlohmann::json dtypes = nlohmann::json::object();
  for (const auto& [name, count] : model->stored_dtypes()) dtypes[name] = count;
  nlohmann::json info = {
      {"path", a.model.model},
      {"format", model->format()},
      {"architecture", engine::ArchName(c.arch)},
      {"parameters", c.ParameterCount()},
      {"layers", c.n_layers},
      {"d_model", c.d_model},
      {"heads", c.n_heads},
      {"kv_heads", c.n_kv_heads},
      {"d_head", c.d_head},
      {"d_mlp", c.d_mlp},
      {"vocab_size", c.vocab_size},
      {"context", c.n_ctx},
      {"tied_embeddings", c.tied_embeddings},
      {"stored_dtypes", dtypes},
      {"tokenizer", model->tokenizer() ? model->tokenizer()->kind() : "none"},
      {"sha256", model->WeightsSha256().ValueOrThrow()},
  };
  if (a.json) {
    std::cout << info.dump(2) << "\n";
    return;
  }
  for (const auto& [key, value] : info.items()) {
    std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
}

}  // namespace

void RegisterModel(CLI::App& app) {
  CLI::App* model = app.add_subcommand("model", "Inspect model files");
  model->require_subcommand(1);
  auto args = std::make_shared<ModelInfoArgs>();
  CLI::App* info = model->add_subcommand("info", "Architecture, sizes, dtypes and sha256 of a model");
  info->add_option("path", args->model.model, "Model file or directory")->required();
  info->add_option("--tokenizer", args->model.tokenizer, "Tokenizer file (llama2.c models)");
  info->add_flag("--json", args->json, "Print JSON");
  info->callback([args] { RunModelInfo(*args); });
}

}  // namespace warden::cli
