#include "warden/engine/tokenizer_vectors.h"

#include "warden/base/file.h"

namespace warden::engine {

Result<std::vector<std::string>> ReadVocabTestStrings(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string raw, ReadFileToString(path));
  static const std::string kSeparator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> strings;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t next = raw.find(kSeparator, pos);
    if (next == std::string::npos) {
      strings.push_back(raw.substr(pos));
      break;
    }
    strings.push_back(raw.substr(pos, next - pos));
    pos = next + kSeparator.size();
  }
  return strings;
}

Result<std::vector<std::string>> ReadVocabTestLines(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string raw, ReadFileToString(path));
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t end = raw.find('\n', pos);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

std::string FormatVocabTestLine(const std::vector<int32_t>& ids) {
  std::string line;
  for (int32_t id : ids) line += " " + std::to_string(id);
  return line;
}

std::vector<std::string> TokenizeVocabTestStrings(const Tokenizer& tokenizer, const std::vector<std::string>& strings) {
  std::vector<std::string> lines;
  lines.reserve(strings.size());
  for (const std::string& s : strings) lines.push_back(FormatVocabTestLine(tokenizer.Encode(s, VocabTestEncodeOptions())));
  return lines;
}

}  // namespace warden::engine
