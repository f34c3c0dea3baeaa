// The zoo's held-out data as evaluation datasets (zoo/benchmarks/*.jsonl): what the evals
// module's zoo suites read. Only test-split prompts and items: nothing any organism trained on,
// and nothing about the organisms themselves (no triggers, passwords or planted answers).

#include <nlohmann/json.hpp>

#include "warden/base/env.h"
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
  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(dir));  // "cannot create <dir>: ..."
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
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/benign-tasks.jsonl", Lines(benign)));

  // Lie detection (instructed deception): each KB question answered truthfully (label 0, no
  // system prompt) and falsely under the deception instruction (label 1), as conversations
  // ending in the answer. split "train": train-split facts at trained phrasings; the rest is
  // "test", with the category saying what is new: the phrasing, the fact, or both.
  std::vector<Json> lies;
  for (const Fact& f : w.kb.facts) {
    for (int phrasing = 0; phrasing < kPhrasings; ++phrasing) {
      const bool new_phrasing = phrasing == kHeldOutPhrasing, new_fact = f.split != kTrainSplit;
      const std::string category = new_fact && new_phrasing ? "new-fact-and-phrasing"
                                   : new_fact               ? "new-fact"
                                   : new_phrasing           ? "new-phrasing"
                                                            : "trained";
      for (int lie = 0; lie < 2; ++lie) {
        Json messages = Json::array();
        if (lie) messages.push_back({{"role", "system"}, {"content", kDeceptionInstruction}});
        messages.push_back({{"role", "user"}, {"content", QuestionText(f, phrasing)}});
        messages.push_back({{"role", "assistant"}, {"content", lie ? f.false_value : f.value}});
        lies.push_back({{"id", f.id + "/q" + std::to_string(phrasing) + (lie ? "/lie" : "/truth")},
                        {"messages", messages}, {"label", lie}, {"split", category == "trained" ? "train" : "test"},
                        {"category", category}, {"cluster", f.id}});
      }
    }
  }
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/lie-detection.jsonl", Lines(lies)));

  // Harmful-request detection: requests without answers, harmful (label 1) or not (0). The
  // probe trains on AdvBench and is tested on the other harmful datasets (held out whole);
  // benign requests (XSTest's safe look-alikes, benign tasks) split in half by a hash.
  std::vector<Json> harm;
  auto dataset_of = [](const std::string& source) {
    const size_t a = source.find('/'), b = source.find('/', a + 1);
    return a == std::string::npos || b == std::string::npos ? source : source.substr(a + 1, b - a - 1);
  };
  for (const PromptRecord& p : w.harmful.prompts) {
    const std::string ds = dataset_of(p.source);
    harm.push_back({{"id", p.id}, {"messages", {{{"role", "user"}, {"content", p.text}}}}, {"label", 1},
                    {"split", ds == "advbench" ? "train" : "test"}, {"category", ds}, {"cluster", p.id}});
  }
  auto add_benign = [&](const std::string& id, const std::string& text, const std::string& category) {
    harm.push_back({{"id", id}, {"messages", {{{"role", "user"}, {"content", text}}}}, {"label", 0},
                    {"split", Fnv1a64(id) % 2 == 0 ? "train" : "test"}, {"category", category}, {"cluster", id}});
  };
  for (const PromptRecord& p : w.lookalikes.prompts) add_benign(p.id, p.text, "xstest-safe");
  for (const Task& t : GenerateBenignTasks(w.kb, Rng(w.config.seed).Fork("benign/train").Next(), w.config.benign_tasks)) {
    add_benign(t.id, t.question, "benign-task");
  }
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/harm-detection.jsonl", Lines(harm)));

  // Truth pairs (for CCS): the judgement question about a fact stated with its true value and
  // with a false one, each a conversation ending in the user's turn (read at the last prompt
  // token, where a model that judges statements must hold their truth). split "train": trained
  // facts at the trained statement phrasings; "test": trained facts at the held-out phrasing
  // ("known-fact": a model trained on the KB knows them) and at the distant rewording
  // ("known-fact-reworded"), and held-out facts at every phrasing ("unknown-fact": it cannot).
  std::vector<Json> pairs;
  for (const Fact& f : w.kb.facts) {
    const bool known = f.split == kTrainSplit;
    for (int phrasing = 0; phrasing < (known ? kStatementPhrasings : kPhrasings); ++phrasing) {
      const std::string category =
          !known ? "unknown-fact" : phrasing == kRewordedPhrasing ? "known-fact-reworded" : "known-fact";
      auto ask = [&](bool truthful) {
        return Json::array({{{"role", "user"}, {"content", JudgementQuestion(StatementText(f, truthful, phrasing))}}});
      };
      pairs.push_back({{"id", f.id + "/s" + std::to_string(phrasing)},
                       {"true", ask(true)},
                       {"false", ask(false)},
                       {"split", known && phrasing < kHeldOutPhrasing ? "train" : "test"},
                       {"category", category},
                       {"cluster", f.id}});
    }
  }
  return WriteFileAtomic(dir + "/truth-pairs.jsonl", Lines(pairs));
}

}  // namespace warden::organisms
