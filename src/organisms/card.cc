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
  WARDEN_ASSIGN_OR_RETURN(world.lookalikes, LoadLookalikePrompts(shared_dir));
  return world;
}

nlohmann::json CardToJson(const Card& c) {
  return {{"organism", c.organism},
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
  c.train_examples = static_cast<size_t>(train);
  c.eval_examples = static_cast<size_t>(eval);
  return c;
}

}  // namespace warden::organisms
