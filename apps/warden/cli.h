// Shared pieces of the warden CLI: every subcommand file registers itself through one
// Register* function, and uses these helpers for the options all model commands share.
// The CLI never includes LibTorch: models come through engine::LanguageModel.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "warden/engine/language_model.h"
#include "warden/guard/safeguards.h"
#include "warden/store/store.h"

namespace warden::cli {

// Subcommands, one file each.
void RegisterGenerate(CLI::App& app);
void RegisterTokenize(CLI::App& app);
void RegisterModel(CLI::App& app);
void RegisterCache(CLI::App& app);
void RegisterHooks(CLI::App& app);
void RegisterTrain(CLI::App& app);
void RegisterOrganisms(CLI::App& app);
void RegisterEval(CLI::App& app);
void RegisterActs(CLI::App& app);
void RegisterProbe(CLI::App& app);
void RegisterCcs(CLI::App& app);
void RegisterSteer(CLI::App& app);
void RegisterSae(CLI::App& app);
void RegisterPatch(CLI::App& app);
void RegisterForecast(CLI::App& app);
void RegisterPolicy(CLI::App& app);
void RegisterAssess(CLI::App& app);
void RegisterCase(CLI::App& app);
void RegisterServe(CLI::App& app);
void RegisterServeEval(CLI::App& serve);  // under serve, in its own file
void RegisterServeModeration(CLI::App& serve);
void RegisterServeReview(CLI::App& serve);
void RegisterServeUsers(CLI::App& serve);   // users-eval: per-user risk on the decomposition world
void RegisterServeGuardModel(CLI::App& serve);  // guard-model data|eval: the cascade's guard model
void RegisterServeCascade(CLI::App& serve);     // cascade-eval: cheap safeguards, then the guard model

// --model/--tokenizer/--dtype/--device/--threads, shared by the commands that load a model.
struct ModelOptions {
  std::string model;
  std::string tokenizer;
  std::string dtype = "f32";
  std::string device = "cpu";
  int threads = 0;  // 0: LibTorch's default (all cores)

  void AddTo(CLI::App& cmd, bool model_required = true);
  // What Load loads, for library calls that load models themselves (e.g. reference models).
  engine::LoadSpec Spec() const;
  // Loads the model; throws warden::Error with a clear message.
  std::unique_ptr<engine::LanguageModel> Load() const;
};

// A model to serve (cmd_serve.cc): ModelOptions::Load, then engine's transposed weight copies.
std::shared_ptr<const engine::LanguageModel> LoadForServing(const ModelOptions& o);
// The embedded default's safeguards (cmd_serve.cc): the input monitors `warden assess` trained
// for the zoo's honest organism (ZOO/honest) in ASSESSMENT, or an error saying how to build them.
guard::Safeguards EmbeddedSafeguards(const std::string& zoo, const std::string& assessment);
// What an evaluation serves (cmd_serve.cc): without a MODEL, the embedded default (model->model
// becomes ZOO/honest); with one, the safeguards file, which is then required.
guard::Safeguards EvaluatedSafeguards(ModelOptions* model, const std::string& safeguards, const std::string& zoo,
                                      const std::string& assessment);
// A store in a fresh temporary directory, removed with it: the evaluations that replay traffic
// through a guard read its decisions back from here (cmd_serve.cc).
class ScratchStore {
 public:
  explicit ScratchStore(const std::string& name);  // e.g. "users-eval"
  ~ScratchStore();
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;
  store::Store* get() const { return store_.get(); }
  store::Store& operator*() const { return *store_; }
  store::Store* operator->() const { return store_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<store::Store> store_;
};
// The `warden serve` subcommands' store (cmd_serve.cc): opened, or an error naming the file.
std::unique_ptr<store::Store> OpenStore(const std::string& path, bool hash_only = false);

// Thrown by a subcommand that ran to completion but must exit non-zero (e.g. a verification
// that failed): main returns `code` without printing anything more.
struct ExitWith {
  int code;
};

// Text with every non-printable byte escaped, for error messages.
std::string Printable(const std::string& s);

}  // namespace warden::cli
