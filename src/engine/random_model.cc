#include "warden/engine/random_model.h"

#include "engine/torch_pch.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {

Result<std::unique_ptr<LanguageModel>> RandomLanguageModel(const ModelConfig& config,
                                                           std::unique_ptr<Tokenizer> tokenizer, uint64_t seed) {
  if (tokenizer == nullptr) return Status::InvalidArgument("a random model needs a tokenizer");
  if (tokenizer->vocab_size() != config.vocab_size) {
    return Status::InvalidArgument("tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                                   " tokens; the config's vocab_size is " + std::to_string(config.vocab_size));
  }
  try {
    std::unique_ptr<Model> model = Model::RandomInit(config, seed);
    model->set_tokenizer(std::move(tokenizer));
    return std::make_unique<LanguageModel>(std::move(model));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot initialise the model: ") + e.what());
  }
}

}  // namespace warden::engine
