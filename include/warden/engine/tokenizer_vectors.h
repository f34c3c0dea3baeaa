// llama.cpp's tokenizer test vectors (tests/test-tokenizer-0): exactness proofs for the
// tokenizers. Torch-free.
//
// A vocabulary file VOCAB comes with VOCAB.inp (test strings) and VOCAB.out (expected ids).
// .inp is the strings, each followed by the separator line: the file is split on
// "\n__ggml_vocab_test__\n" exactly as test-tokenizer-0 splits it, so a string keeps its own
// leading and trailing newlines (only the newline that ends the string's last line belongs to the
// separator), and a last piece with no separator after it is a string too. .out has one line
// per string: a space before each id (" 15043 3186"), an empty line for no ids.
// The strings are encoded as test-tokenizer-0 does: no BOS (add_special = false) and no
// special-token parsing (parse_special = false); user-defined tokens are still matched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {

// ReadVocabTestStrings (the strings of an .inp file, in order) is declared in tokenizer.h.

// The expected lines of an .out file, verbatim (without the line ends), in order.
Result<std::vector<std::string>> ReadVocabTestLines(const std::string& path);

// One .out line for these ids: " 1 2 3", or "" for none.
std::string FormatVocabTestLine(const std::vector<int32_t>& ids);

// The options test-tokenizer-0 encodes with.
inline EncodeOptions VocabTestEncodeOptions() { return EncodeOptions{/*add_bos=*/false, /*parse_special=*/false}; }

// Encodes every string and formats it: the lines `warden tokenize --vectors FILE.inp` prints,
// which must equal FILE.out line for line.
std::vector<std::string> TokenizeVocabTestStrings(const Tokenizer& tokenizer, const std::vector<std::string>& strings);

}  // namespace warden::engine
