// warden tokenize: text -> token ids with a vocabulary (GGUF, tokenizer.json, llama2.c .bin).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/engine/tokenizer.h"

namespace warden::cli {
namespace {

struct TokenizeArgs {
  std::string vocab, vectors, text;
  int32_t vocab_size = 0;
  bool parse_special = false, no_bos = false, json = false;
};


std::string Join(const std::vector<int32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + std::to_string(ids[i]);
  return out;
}

void RunTokenize(const TokenizeArgs& a) {
  auto tok = engine::LoadTokenizer(a.vocab, a.vocab_size).ValueOrThrow();
  if (!a.vectors.empty()) {
    // llama.cpp's .out convention: no BOS, special tokens not parsed, every id preceded by
    // a space.
    for (const std::string& s : engine::ReadVocabTestStrings(a.vectors).ValueOrThrow()) {
      for (int32_t id : tok->Encode(s, {/*add_bos=*/false, /*parse_special=*/false})) std::cout << ' ' << id;
      std::cout << "\n";
    }
    return;
  }
  engine::EncodeOptions opts{!a.no_bos, a.parse_special};
  std::vector<int32_t> ids = tok->Encode(a.text, opts);
  if (!a.json) {
    std::cout << Join(ids) << "\n";
    return;
  }
  nlohmann::json pieces = nlohmann::json::array();
  int32_t prev = -1;
  for (int32_t id : ids) {
    pieces.push_back(Printable(tok->TokenBytes(id, prev)));
    prev = id;
  }
  std::cout << nlohmann::json{{"ids", ids}, {"pieces", pieces}, {"kind", tok->kind()}}.dump(2) << "\n";
}

}  // namespace

void RegisterTokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Encode text, or llama.cpp tokenizer test vectors");
  cmd->add_option("--vocab", args->vocab, "GGUF vocabulary, tokenizer.json, or llama2.c tokenizer .bin")
      ->required();
  auto* vec = cmd->add_option("--vectors", args->vectors,
                              "A .inp file of strings separated by __ggml_vocab_test__ lines: prints "
                              "one line of ids per string, comparable with the .out file");
  cmd->add_option("--text", args->text, "Text to encode")->excludes(vec);
  cmd->add_option("--vocab-size", args->vocab_size, "llama2.c tokenizers: read only this many entries (default: all)")
      ->check(NonNegative());
  cmd->add_flag("--parse-special", args->parse_special, "Match special-token text as special tokens");
  cmd->add_flag("--no-bos", args->no_bos, "Do not prepend BOS");
  cmd->add_flag("--json", args->json, "Print ids with their pieces as JSON");
  cmd->callback([args] { RunTokenize(*args); });
}

}  // namespace warden::cli
