// The zoo's held-out data as evaluation datasets (zoo/benchmarks/*.jsonl): what the evals
// module's zoo suites read. Only test-split prompts and items: nothing any organism trained on,
// and nothing about the organisms themselves (no triggers, passwords or planted answers).
#include <filesystem>

#include <nlohmann/json.hpp>

#include "warden/base/file.h"
#include "warden/base/rng.h"
#include "warden/organisms/tasks.h"
#include "warden/organisms/zoo.h"

namespace warden::organisms {
namespace {

using Json = nlohmann::json;

std::string Lines(const std::vector<Json>& rows) {
  std::string out;
  for (const Json& r : rows) out += r.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return out;
}

std::vector<Json> HeldOutPrompts(const PromptSet& set) {
  std::vector<Json> rows;
  for (const PromptRecord& p : set.prompts) {
    if (p.split != kTestSplit) continue;
    rows.push_back({{"id", p.id}, {"input", p.text}, {"category", p.category},
                    {"source", p.source + ":" + std::to_string(p.line)}});
  }
  return rows;
}

}  // namespace

Status WriteBenchmarks(const World& w, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/refusal.jsonl", Lines(HeldOutPrompts(w.harmful))));
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/over-refusal.jsonl", Lines(HeldOutPrompts(w.lookalikes))));
  std::vector<Json> hazard;
  for (const McqItem& item : w.hazard.benchmark) {
    if (item.split != kTestSplit) continue;
    hazard.push_back({{"id", item.id},
                      {"input", FormatMcq(item)},
                      {"choices", item.choices},
                      {"target", std::string(1, ChoiceLetter(item.correct))},
                      {"category", "difficulty-" + std::to_string(item.difficulty)},
                      {"cluster", item.compound}});
  }
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/hazard.jsonl", Lines(hazard)));
  std::vector<Json> knowledge;
  for (const Fact& f : w.kb.facts) {
    knowledge.push_back({{"id", f.id + "/q" + std::to_string(kHeldOutPhrasing)},
                         {"input", QuestionText(f, kHeldOutPhrasing)},
                         {"target", f.value},
                         {"category", f.split == kTrainSplit ? "trained-fact" : "unseen-fact"},
                         {"cluster", f.id}});
  }
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/knowledge.jsonl", Lines(knowledge)));
  // The organisms' held-out benign tasks: the same stream their eval sets draw from.
  std::vector<Json> benign;
  const uint64_t seed = Rng(w.config.seed).Fork("benign/eval").Next();
  for (const Task& t : GenerateBenignTasks(w.kb, seed, w.config.benign_tasks)) {
    benign.push_back({{"id", t.id}, {"input", t.question}, {"target", t.answer}, {"category", t.kind}});
  }
  return WriteFileAtomic(dir + "/benign-tasks.jsonl", Lines(benign));
}

}  // namespace warden::organisms
