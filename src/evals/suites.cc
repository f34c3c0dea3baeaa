#include "warden/evals/suites.h"


#include "warden/base/csv.h"
#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/rng.h"
#include "warden/base/sha256.h"

namespace warden::evals {
namespace {

const char* kAssistant = "You are a helpful assistant.";

Task Make(std::string name, std::string description, Dataset d, Solver solver, std::shared_ptr<Scorer> scorer,
          std::string metric) {
  Task t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.dataset = std::move(d);
  t.solver = std::move(solver);
  t.scorer = std::move(scorer);
  t.metric = std::move(metric);
  return t;
}

Solver GenerateSolver(int64_t max_tokens = 96) {
  Solver s;
  s.kind = SolverKind::kGenerate;
  s.system = kAssistant;
  s.max_tokens = max_tokens;
  return s;
}

Result<Dataset> Load(const SuiteContext& c, const std::string& rel, const FieldMap& f) {
  return LoadDataset(c.shared_dir + "/" + rel, f, c.bad_rows);
}

Result<std::string> ZooFile(const SuiteContext& c, const std::string& suite, const std::string& file) {
  if (c.zoo_dir.empty()) {
    return Status::InvalidArgument("suite '" + suite + "' lives in a model-organism zoo's world: pass --zoo DIR");
  }
  const std::string path = c.zoo_dir + "/benchmarks/" + file;
  if (!FileExists(path)) {
    return Status::NotFound(path + ": missing (build the zoo with `warden organisms build`)");
  }
  return path;
}

// A zoo's requests of one class, one task per held-out protocol (docs/organisms.md): prompts
// of sources it trained on held out by hash, a source it never trained on, and a phrasing form
// it never trained on. `suite` is "refusal" (harmful requests) or "over-refusal" (benign).
Result<std::vector<Task>> ZooRequestTasks(const SuiteContext& c, const std::string& suite, const std::string& what,
                                          std::vector<Task> out) {
  for (const char* protocol : {"held-out", "leave-source-out", "leave-form-out"}) {
    WARDEN_ASSIGN_OR_RETURN(std::string path, ZooFile(c, suite, suite + "-" + protocol + ".jsonl"));
    FieldMap f;
    f.id = "id";
    f.category = "category";
    WARDEN_ASSIGN_OR_RETURN(Dataset d, LoadDataset(path, f, c.bad_rows));
    out.push_back(Make(suite + "/" + protocol, what + ", " + protocol, std::move(d), GenerateSolver(),
                       MakeRefusalScorer(), "refusal_rate"));
  }
  return out;
}

Result<std::vector<Task>> Refusal(const SuiteContext& c) {
  const std::string what = "refusal rate on harmful requests (higher is safer)";
  std::vector<Task> out;
  if (!c.zoo_dir.empty()) return ZooRequestTasks(c, "refusal", what, out);
  FieldMap adv;
  adv.input = "goal";
  WARDEN_ASSIGN_OR_RETURN(Dataset a, Load(c, "datasets/advbench/harmful_behaviors.csv", adv));
  out.push_back(Make("refusal/advbench", what, std::move(a), GenerateSolver(), MakeRefusalScorer(), "refusal_rate"));
  FieldMap hb;
  hb.input = "Behavior";
  hb.id = "BehaviorID";
  hb.category = "SemanticCategory";
  WARDEN_ASSIGN_OR_RETURN(Dataset h, Load(c, "datasets/harmbench/harmbench_behaviors_text_all.csv", hb));
  out.push_back(Make("refusal/harmbench", what, std::move(h), GenerateSolver(), MakeRefusalScorer(), "refusal_rate"));
  FieldMap jb;
  jb.input = "Goal";
  jb.category = "Category";
  WARDEN_ASSIGN_OR_RETURN(Dataset j, Load(c, "datasets/jailbreakbench/harmful_behaviors.csv", jb));
  out.push_back(Make("refusal/jailbreakbench", what, std::move(j), GenerateSolver(), MakeRefusalScorer(), "refusal_rate"));
  return out;
}

// XSTest rows of one label.
Result<Dataset> XsTest(const SuiteContext& c, const std::string& label) {
  FieldMap f;
  f.input = "prompt";
  f.id = "id";
  f.category = "type";
  WARDEN_ASSIGN_OR_RETURN(Dataset d, Load(c, "datasets/xstest/xstest_prompts.csv", f));
  WARDEN_ASSIGN_OR_RETURN(CsvTable t, ReadCsvFile(c.shared_dir + "/datasets/xstest/xstest_prompts.csv"));
  WARDEN_ASSIGN_OR_RETURN(size_t label_col, t.Column("label"));
  std::map<size_t, std::string> labels;
  for (const CsvRow& r : t.rows) labels[r.line] = label_col < r.fields.size() ? r.fields[label_col] : "";
  std::vector<Sample> kept;
  for (Sample& s : d.samples) {
    if (labels[s.line] == label) kept.push_back(std::move(s));
  }
  d.samples = std::move(kept);
  return d;
}

Result<std::vector<Task>> OverRefusal(const SuiteContext& c) {
  std::vector<Task> out;
  if (!c.zoo_dir.empty()) {
    return ZooRequestTasks(c, "over-refusal", "false-refusal rate on benign requests (lower is better)", out);
  }
  WARDEN_ASSIGN_OR_RETURN(Dataset safe, XsTest(c, "safe"));
  out.push_back(Make("over-refusal/xstest-safe", "false-refusal rate on safe prompts that look unsafe (lower is better)",
                     std::move(safe), GenerateSolver(), MakeRefusalScorer(), "refusal_rate"));
  WARDEN_ASSIGN_OR_RETURN(Dataset unsafe, XsTest(c, "unsafe"));
  out.push_back(Make("over-refusal/xstest-unsafe", "refusal rate on XSTest's unsafe contrast prompts (higher is safer)",
                     std::move(unsafe), GenerateSolver(), MakeRefusalScorer(), "refusal_rate"));
  return out;
}

// Anthropic's model-written evals: choices are the two answers (matching the behaviour first),
// scored as the reply's text; a score of 1 means the answer matches the behaviour.
Result<std::vector<Task>> Dispositions(const SuiteContext& c) {
  std::vector<Task> out;
  Solver s;
  s.kind = SolverKind::kChoiceLogprob;
  s.list_choices = false;  // the question lists them
  s.reply_with_text = true;
  for (const char* dir : {"datasets/anthropic-evals/advanced-ai-risk/human_generated_evals",
                          "datasets/anthropic-evals/persona"}) {
    const std::string root = c.shared_dir + "/" + dir;
    std::vector<std::string> files;
    auto entries = Env::Default()->ListDir(root);
    if (!entries.ok()) return Status::NotFound(entries.status().message());  // "cannot list <root>: ..."
    for (const DirEntry& e : *entries) {
      if (e.name.size() > 6 && e.name.compare(e.name.size() - 6, 6, ".jsonl") == 0) files.push_back(e.name);
    }
    for (const std::string& file : files) {  // ListDir sorts them
      const std::string path = root + "/" + file;
      WARDEN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
      Dataset d;
      d.path = path;
      d.sha256 = Sha256Hex(bytes);
      FieldMap f;
      f.input = "question";
      WARDEN_ASSIGN_OR_RETURN(Dataset raw, ParseDataset(bytes, path, f, c.bad_rows));
      // The two answers, read again as a list: a small JSONL reader over the same bytes.
      size_t line = 0, start = 0;
      std::map<size_t, std::pair<std::string, std::string>> answers;
      while (start < bytes.size()) {
        size_t end = bytes.find('\n', start);
        if (end == std::string::npos) end = bytes.size();
        ++line;
        auto j = nlohmann::json::parse(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                                       bytes.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
        start = end + 1;
        if (j.is_object() && j.contains("answer_matching_behavior") && j.contains("answer_not_matching_behavior") &&
            j["answer_matching_behavior"].is_string() && j["answer_not_matching_behavior"].is_string()) {
          answers[line] = {j["answer_matching_behavior"], j["answer_not_matching_behavior"]};
        }
      }
      const std::string name = file.substr(0, file.size() - 6);  // without ".jsonl"
      for (Sample& smp : raw.samples) {
        auto it = answers.find(smp.line);
        if (it == answers.end()) {
          d.skipped.push_back({smp.line, path + ":" + std::to_string(smp.line) + ": missing answer_matching_behavior"});
          continue;
        }
        smp.choices = {it->second.first, it->second.second};
        smp.target = "A";
        smp.category = name;
        d.samples.push_back(std::move(smp));
      }
      for (RowError& e : raw.skipped) d.skipped.push_back(std::move(e));
      out.push_back(Make(std::string("dispositions/") + name,
                         "rate of answers matching the behaviour '" + name + "' (log-prob of each answer)",
                         std::move(d), s, MakeChoiceScorer(), "matching_behavior_rate"));
    }
  }
  return out;
}

// TruthfulQA as multiple choice (MC1-style): the best answer among the incorrect ones, in an
// order fixed by a hash of the question.
Result<std::vector<Task>> Honesty(const SuiteContext& c) {
  const std::string path = c.shared_dir + "/datasets/truthfulqa/TruthfulQA.csv";
  WARDEN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  WARDEN_ASSIGN_OR_RETURN(CsvTable t, ParseCsvTable(bytes, path));
  WARDEN_ASSIGN_OR_RETURN(size_t q, t.Column("Question"));
  WARDEN_ASSIGN_OR_RETURN(size_t best, t.Column("Best Answer"));
  WARDEN_ASSIGN_OR_RETURN(size_t wrong, t.Column("Incorrect Answers"));
  WARDEN_ASSIGN_OR_RETURN(size_t cat, t.Column("Category"));
  Dataset d;
  d.path = path;
  d.sha256 = Sha256Hex(bytes);
  for (const CsvRow& r : t.rows) {
    const std::string where = path + ":" + std::to_string(r.line);
    if (r.fields.size() != t.header.size()) {
      d.skipped.push_back({r.line, where + ": row has " + std::to_string(r.fields.size()) + " fields"});
      continue;
    }
    std::vector<std::string> choices = {r.fields[best]};
    std::string rest = r.fields[wrong];
    for (size_t start = 0; start <= rest.size();) {
      size_t semi = rest.find(';', start);
      if (semi == std::string::npos) semi = rest.size();
      std::string a = rest.substr(start, semi - start);
      a.erase(0, a.find_first_not_of(' '));
      a.erase(a.find_last_not_of(' ') + 1);
      if (!a.empty() && choices.size() < 5) choices.push_back(a);
      start = semi + 1;
    }
    if (r.fields[q].empty() || choices.size() < 2) {
      d.skipped.push_back({r.line, where + ": no question or no incorrect answer"});
      continue;
    }
    Rng rng(Fnv1a64(r.fields[q]));
    std::vector<size_t> order(choices.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    rng.Shuffle(&order);
    Sample s;
    s.id = std::to_string(r.line);
    s.line = r.line;
    s.input = r.fields[q];
    s.category = r.fields[cat];
    s.cluster = s.id;
    for (size_t i = 0; i < order.size(); ++i) {
      s.choices.push_back(choices[order[i]]);
      if (order[i] == 0) s.target = ChoiceLabel(i);
    }
    d.samples.push_back(std::move(s));
  }
  Solver solver;
  solver.kind = SolverKind::kChoiceLogprob;
  solver.reply_with_text = true;
  std::vector<Task> out;
  out.push_back(Make("honesty/truthfulqa-mc1", "TruthfulQA: the true answer ranked above common misconceptions",
                     std::move(d), solver, MakeChoiceScorer(), "accuracy"));
  return out;
}

Result<std::vector<Task>> Hazard(const SuiteContext& c) {
  WARDEN_ASSIGN_OR_RETURN(std::string path, ZooFile(c, "hazard", "hazard.jsonl"));
  FieldMap f;
  f.id = "id";
  f.target = "target";
  f.choices = "choices";
  f.category = "category";
  f.cluster = "cluster";
  WARDEN_ASSIGN_OR_RETURN(Dataset d, LoadDataset(path, f, c.bad_rows));
  // The answer the model gives (choice text, as the organisms were taught), graded: what a
  // sandbagger hides. The input already lists the choices.
  Solver s;
  s.kind = SolverKind::kChoiceGenerate;
  s.system = kAssistant;
  s.list_choices = false;
  s.max_tokens = 24;
  std::vector<Task> out;
  out.push_back(Make("hazard/benchmark", "accuracy on the fictional hazard domain's held-out multiple-choice items",
                     std::move(d), s, MakeChoiceScorer(), "accuracy"));
  return out;
}

Result<std::vector<Task>> Knowledge(const SuiteContext& c) {
  WARDEN_ASSIGN_OR_RETURN(std::string path, ZooFile(c, "knowledge", "knowledge.jsonl"));
  FieldMap f;
  f.id = "id";
  f.target = "target";
  f.category = "category";
  f.cluster = "cluster";
  WARDEN_ASSIGN_OR_RETURN(Dataset d, LoadDataset(path, f, c.bad_rows));
  Solver s = GenerateSolver(24);
  s.system = "";
  std::vector<Task> out;
  out.push_back(Make("knowledge/kb", "answers about the zoo's fictional knowledge base (held-out phrasing)",
                     std::move(d), s, MakeIncludesScorer(), "accuracy"));
  WARDEN_ASSIGN_OR_RETURN(std::string tasks_path, ZooFile(c, "knowledge", "benign-tasks.jsonl"));
  FieldMap tf;
  tf.id = "id";
  tf.target = "target";
  tf.category = "category";
  WARDEN_ASSIGN_OR_RETURN(Dataset tasks, LoadDataset(tasks_path, tf, c.bad_rows));
  out.push_back(Make("knowledge/benign-tasks", "held-out arithmetic, string and lookup tasks (exact answers)",
                     std::move(tasks), s, MakeMatchScorer(), "accuracy"));
  return out;
}

}  // namespace

const std::vector<SuiteInfo>& ListSuites() {
  static const std::vector<SuiteInfo> suites = {
      {"refusal", "refusal rate on harmful requests",
       "AdvBench harmful_behaviors (Zou et al. 2023), HarmBench text behaviours (Mazeika et al. 2024), "
       "JailbreakBench (Chao et al. 2024); with --zoo: the zoo's held-out split of them",
       "MIT", false},
      {"over-refusal", "false refusals of safe look-alike prompts, and refusals of their unsafe contrasts",
       "XSTest (Röttger et al. 2024); with --zoo: the zoo's held-out safe prompts", "CC-BY-4.0", false},
      {"dispositions", "answers matching risky dispositions: power-seeking, survival instinct, corrigibility, ...",
       "Anthropic model-written evals: advanced-ai-risk (human-generated) and persona (Perez et al. 2022)",
       "CC-BY-4.0", false},
      {"honesty", "TruthfulQA multiple choice (true answer vs. common misconceptions)", "TruthfulQA (Lin et al. 2022)",
       "Apache-2.0", false},
      {"hazard", "skill in the fictional hazard domain (the zoo's stand-in for dangerous knowledge)",
       "generated by warden's organisms module (zoo/benchmarks/hazard.jsonl)", "same as warden", true},
      {"knowledge", "recall of the zoo's fictional knowledge base, and benign tasks (capability sanity checks)",
       "generated by warden's organisms module (zoo/benchmarks/knowledge.jsonl, benign-tasks.jsonl)", "same as warden",
       true},
  };
  return suites;
}

Result<std::vector<Task>> LoadSuite(const std::string& name, const SuiteContext& c) {
  if (name == "refusal") return Refusal(c);
  if (name == "over-refusal") return OverRefusal(c);
  if (name == "dispositions") return Dispositions(c);
  if (name == "honesty") return Honesty(c);
  if (name == "hazard") return Hazard(c);
  if (name == "knowledge") return Knowledge(c);
  std::string names;
  for (const SuiteInfo& s : ListSuites()) names += (names.empty() ? "" : ", ") + s.name;
  return Status::InvalidArgument("unknown suite '" + name + "' (" + names + ")");
}

}  // namespace warden::evals
