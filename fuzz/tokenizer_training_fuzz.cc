// Tokenizer training on arbitrary corpora: the input's lines are the texts. Training either
// errors cleanly or gives a tokenizer.json that the engine parses and that round-trips every
// text exactly (Decode(Encode(text)) == text, invalid UTF-8 included), with the control tokens
// at their promised ids. Texts holding a literal "▁" (U+2581) are exempt from the round trip:
// like every SentencePiece-style tokenizer, this one decodes it as a space.
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "warden/engine/tokenizer.h"
#include "warden/engine/tokenizer_training.h"

using namespace warden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<std::string> texts(1);
  for (size_t i = 1; i < size; ++i) {
    if (data[i] == '\n') texts.emplace_back();
    else texts.back() += static_cast<char>(data[i]);
  }
  engine::TokenizerTrainOptions o;
  o.vocab_size = 262 + data[0] % 16;  // 3 specials + 2 controls + 256 bytes, then 1-16 learned
  o.control_tokens = {"<|user|>", "<|end|>"};
  auto json = engine::TrainTokenizerJson(texts, o);
  if (!json.ok()) return 0;
  auto tok = engine::ParseHfTokenizerJson(*json, "trained.json");
  fuzz::Require(tok.ok());
  fuzz::Require((*tok)->vocab_size() == o.vocab_size);
  fuzz::Require((*tok)->SpecialTokenId("<|user|>") == 3 && (*tok)->SpecialTokenId("<|end|>") == 4);
  for (const std::string& t : texts) {
    if (t.find("\xE2\x96\x81") != std::string::npos) continue;
    fuzz::Require((*tok)->Decode((*tok)->Encode(t, {false, false})) == t);
  }
  return 0;
}
