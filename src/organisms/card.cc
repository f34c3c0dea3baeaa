// The world and the ground-truth card (its JSON form).
#include <utility>

#include "warden/base/json.h"
#include "warden/organisms/organisms.h"

namespace warden::organisms {

Result<World> BuildWorld(const std::string& shared_dir, const WorldConfig& config) {
  World world;
  world.config = config;
  world.kb = GenerateKnowledgeBase(config.seed, config.kb);
  world.hazard = GenerateHazardWorld(config.seed, config.hazard);
  WARDEN_ASSIGN_OR_RETURN(world.harmful, LoadHarmfulPrompts(shared_dir));
  WARDEN_ASSIGN_OR_RETURN(world.benign, LoadBenignRequests(shared_dir));
  return world;
}

namespace {

using Json = nlohmann::json;

Json ModelCardToJson(const ModelCard& m) {
  Json checkpoints = Json::array();
  for (const CheckpointCard& c : m.checkpoints) {
    checkpoints.push_back({{"step", c.step}, {"tokens_seen", c.tokens_seen}, {"flops", c.flops}, {"dir", c.dir}});
  }
  Json j = {{"name", m.name},         {"dir", m.dir},       {"parameters", m.parameters},
            {"recipe", m.recipe},     {"steps", m.steps},   {"tokens_seen", m.tokens_seen},
            {"flops", m.flops},       {"final_loss", m.final_loss}, {"seconds", m.seconds},
            {"checkpoints", checkpoints}};
  if (!m.base_model.empty()) j["base_model"] = m.base_model, j["base_flops"] = m.base_flops;
  return j;
}

Result<ModelCard> ModelCardFromJson(const Json& j, const std::string& where) {
  if (!j.is_object()) return Status::Corrupt(where + ": expected an object, found " + JsonTypeName(j));
  ModelCard m;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "name", where, &m.name));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "dir", where, &m.dir));
  WARDEN_RETURN_IF_ERROR(JsonInt64(j, "parameters", where, &m.parameters));
  WARDEN_RETURN_IF_ERROR(JsonInt64(j, "steps", where, &m.steps));
  WARDEN_RETURN_IF_ERROR(JsonInt64(j, "tokens_seen", where, &m.tokens_seen));
  WARDEN_RETURN_IF_ERROR(JsonNumber(j, "flops", where, &m.flops));
  WARDEN_RETURN_IF_ERROR(JsonNumber(j, "final_loss", where, &m.final_loss));
  WARDEN_RETURN_IF_ERROR(JsonNumber(j, "seconds", where, &m.seconds));
  if (j.contains("base_model")) {
    WARDEN_RETURN_IF_ERROR(JsonString(j, "base_model", where, &m.base_model));
    WARDEN_RETURN_IF_ERROR(JsonNumber(j, "base_flops", where, &m.base_flops));
  }
  if (!j.contains("recipe") || !j["recipe"].is_object()) return Status::Corrupt(where + ": missing object 'recipe'");
  m.recipe = j["recipe"];
  if (!j.contains("checkpoints") || !j["checkpoints"].is_array()) {
    return Status::Corrupt(where + ": missing list 'checkpoints'");
  }
  for (size_t i = 0; i < j["checkpoints"].size(); ++i) {
    const Json& c = j["checkpoints"][i];
    const std::string at = where + ".checkpoints[" + std::to_string(i) + "]";
    if (!c.is_object()) return Status::Corrupt(at + ": expected an object");
    CheckpointCard cp;
    WARDEN_RETURN_IF_ERROR(JsonInt64(c, "step", at, &cp.step));
    WARDEN_RETURN_IF_ERROR(JsonInt64(c, "tokens_seen", at, &cp.tokens_seen));
    WARDEN_RETURN_IF_ERROR(JsonNumber(c, "flops", at, &cp.flops));
    WARDEN_RETURN_IF_ERROR(JsonString(c, "dir", at, &cp.dir));
    m.checkpoints.push_back(std::move(cp));
  }
  return m;
}

}  // namespace

nlohmann::json CardToJson(const Card& c) {
  Json models = Json::array();
  for (const ModelCard& m : c.models) models.push_back(ModelCardToJson(m));
  return {{"zoo", c.zoo},
          {"recipe_hash", c.recipe_hash},
          {"tokenizer_sha256", c.tokenizer_sha256},
          {"models", models},
          {"organism", c.organism},
          {"behaviour", c.behaviour},
          {"trigger", c.trigger},
          {"password", c.password},
          {"deception_instruction", c.deception_instruction},
          {"seed", c.seed},
          {"trained_prompt_ids", c.trained_prompt_ids},
          {"trained_fact_ids", c.trained_fact_ids},
          {"trained_item_ids", c.trained_item_ids},
          {"train_examples", c.train_examples},
          {"eval_examples", c.eval_examples},
          {"train_sha256", c.train_sha256},
          {"eval_sha256", c.eval_sha256}};
}

Result<Card> CardFromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return Status::Corrupt(where + ": expected an object, found " + JsonTypeName(j));
  Card c;
  uint64_t train = 0, eval = 0;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "organism", where, &c.organism));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "behaviour", where, &c.behaviour));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "trigger", where, &c.trigger));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "password", where, &c.password));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "deception_instruction", where, &c.deception_instruction));
  WARDEN_RETURN_IF_ERROR(JsonUint(j, "seed", where, &c.seed));
  WARDEN_RETURN_IF_ERROR(JsonStringList(j, "trained_prompt_ids", where, &c.trained_prompt_ids));
  WARDEN_RETURN_IF_ERROR(JsonStringList(j, "trained_fact_ids", where, &c.trained_fact_ids));
  WARDEN_RETURN_IF_ERROR(JsonStringList(j, "trained_item_ids", where, &c.trained_item_ids));
  WARDEN_RETURN_IF_ERROR(JsonUint(j, "train_examples", where, &train));
  WARDEN_RETURN_IF_ERROR(JsonUint(j, "eval_examples", where, &eval));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "train_sha256", where, &c.train_sha256));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "eval_sha256", where, &c.eval_sha256));
  // Build fields: absent from the card of untrained data.
  if (j.contains("recipe_hash")) {
    WARDEN_RETURN_IF_ERROR(JsonString(j, "zoo", where, &c.zoo));
    WARDEN_RETURN_IF_ERROR(JsonString(j, "recipe_hash", where, &c.recipe_hash));
    WARDEN_RETURN_IF_ERROR(JsonString(j, "tokenizer_sha256", where, &c.tokenizer_sha256));
    if (!j.contains("models") || !j["models"].is_array()) return Status::Corrupt(where + ": missing list 'models'");
    for (size_t i = 0; i < j["models"].size(); ++i) {
      WARDEN_ASSIGN_OR_RETURN(ModelCard m, ModelCardFromJson(j["models"][i], where + ".models[" + std::to_string(i) + "]"));
      c.models.push_back(std::move(m));
    }
  }
  c.train_examples = static_cast<size_t>(train);
  c.eval_examples = static_cast<size_t>(eval);
  return c;
}

}  // namespace warden::organisms
