#include "cli.h"
#include "flags.h"

#include "warden/base/format.h"

namespace warden::cli {

void ModelOptions::AddTo(CLI::App& cmd, bool model_required) {
  auto* m = cmd.add_option("--model", model,
                           "Model: a GGUF file, a Hugging Face directory (config.json + "
                           "safetensors) or a llama2.c .bin");
  if (model_required) m->required();
  cmd.add_option("--tokenizer", tokenizer,
                 "Tokenizer: llama2.c tokenizer .bin, tokenizer.json or a GGUF vocabulary "
                 "(default: the model's own)");
  cmd.add_option("--dtype", dtype, "Compute dtype")->check(CLI::IsMember({"f32", "bf16"}));
  cmd.add_option("--device", device, "cpu or cuda (needs a CUDA build of LibTorch)")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd.add_option("--threads", threads, "CPU threads (default: all cores)")->check(NonNegative());
}

engine::LoadSpec ModelOptions::Spec() const { return {model, tokenizer, dtype, device, threads}; }

std::unique_ptr<engine::LanguageModel> ModelOptions::Load() const { return engine::LanguageModel::Load(Spec()).ValueOrThrow(); }

std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 32 && c < 127) {
      out += static_cast<char>(c);
    } else {
      out += StrFormat("\\x%02x", c);
    }
  }
  return out;
}

}  // namespace warden::cli
