// LoadTokenizer: picks the vocabulary format by the file's first bytes.
#include "warden/base/file.h"
#include "warden/engine/gguf.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {

Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path, int32_t llama2c_vocab_size) {
  WARDEN_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  const std::string_view bytes = file->view();
  if (bytes.substr(0, 4) == "GGUF") {
    WARDEN_ASSIGN_OR_RETURN(auto gguf, GgufFile::Open(path));
    return LoadGgufTokenizer(*gguf);
  }
  const size_t first = bytes.find_first_not_of(" \t\r\n\xEF\xBB\xBF");  // blanks, a UTF-8 BOM
  if (first != std::string_view::npos && bytes[first] == '{') return ParseHfTokenizerJson(bytes, path);
  return ParseLlama2cTokenizer(bytes, llama2c_vocab_size, path);
}

}  // namespace warden::engine
