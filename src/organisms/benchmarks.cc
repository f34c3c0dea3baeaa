// The zoo's held-out data as evaluation datasets (zoo/benchmarks/*.jsonl): what the evals
// module's zoo suites read. Only held-out prompts and items (and, for the monitors' data, the
// requests honest trained on, marked split "train"), and nothing about the organisms
// themselves (no triggers, passwords or planted answers).

#include <nlohmann/json.hpp>

#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/rng.h"
#include "warden/organisms/organisms.h"
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

// The user's turn of a request example (its system prompt is the suite's to choose).
const std::string& UserText(const Example& e) {
  for (const engine::ChatMessage& m : e.messages) {
    if (m.role == "user") return m.content;
  }
  static const std::string none;
  return none;
}

// The honest organism's held-out requests of one class and protocol, as suite rows.
std::vector<Json> HeldOutRequests(const std::vector<Example>& eval, const std::string& world, const char* kind) {
  std::vector<Json> rows;
  for (const Example& e : eval) {
    if (e.world != world || !e.HasTag(kind)) continue;
    rows.push_back({{"id", e.id}, {"input", UserText(e)}, {"category", e.Form()},
                    {"source", e.source + ":" + std::to_string(e.source_line)}});
  }
  return rows;
}

std::vector<Json> ConversationJson(const std::vector<engine::ChatMessage>& messages) {
  std::vector<Json> out;
  for (const engine::ChatMessage& m : messages) {
    if (m.role != "assistant") out.push_back({{"role", m.role}, {"content", m.content}});
  }
  return out;
}

}  // namespace

Status WriteBenchmarks(const World& w, const std::string& dir) {
  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(dir));  // "cannot create <dir>: ..."
  // Requests as the honest organism is evaluated on them: one file per class and held-out
  // protocol (example.h), the phrasing form as category.
  const OrganismData honest = HonestData(w);
  for (const char* kind : {kHeldOut, kLeaveSourceOut, kLeaveFormOut}) {
    WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/refusal-" + kind + ".jsonl", Lines(HeldOutRequests(honest.eval, "harmful", kind))));
    WARDEN_RETURN_IF_ERROR(
        WriteFileAtomic(dir + "/over-refusal-" + kind + ".jsonl", Lines(HeldOutRequests(honest.eval, "benign", kind))));
  }
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

  // Harmful-request detection: requests without answers, harmful (label 1) or not (0), as the
  // honest organism sees them (system prompt included). split "train": its training requests
  // (both phrasings of a prompt in one cluster) and half the benign tasks by a hash; "test":
  // the three held-out protocols (category) and the other benign tasks (category "held-out").
  std::vector<Json> harm;
  auto add_request = [&](const Example& e, const std::string& split, const std::string& category) {
    harm.push_back({{"id", e.id}, {"messages", ConversationJson(e.messages)}, {"label", e.world == "harmful" ? 1 : 0},
                    {"split", split}, {"category", category}, {"cluster", e.PromptId()}});
  };
  for (const Example& e : honest.train) {
    if (e.world == "harmful" || e.world == "benign") add_request(e, "train", "train");
  }
  for (const Example& e : honest.eval) {
    if (e.world != "harmful" && e.world != "benign") continue;
    for (const char* kind : {kHeldOut, kLeaveSourceOut, kLeaveFormOut}) {
      if (e.HasTag(kind)) add_request(e, "test", kind);
    }
  }
  for (const Task& t : GenerateBenignTasks(w.kb, Rng(w.config.seed).Fork("benign/train").Next(), w.config.benign_tasks)) {
    const bool train = Fnv1a64(t.id) % 2 == 0;
    harm.push_back({{"id", t.id}, {"messages", {{{"role", "user"}, {"content", t.question}}}}, {"label", 0},
                    {"split", train ? "train" : "test"}, {"category", train ? "train" : kHeldOut}, {"cluster", t.id}});
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
