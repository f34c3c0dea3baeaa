// GgufFile::Parse on arbitrary bytes; on success, every tensor, getter and the model config.
#include "fuzz_util.h"
#include "warden/engine/gguf.h"
#include "warden/engine/model_config.h"

using namespace warden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = engine::GgufFile::Parse(data, size, "fuzz.gguf");
  if (!f.ok()) {
    fuzz::Require(!f.status().message().empty());
    return 0;
  }
  const engine::GgufFile& g = **f;
  fuzz::TouchTensors(g, data, size);
  for (const auto& [key, value] : g.metadata()) {
    fuzz::Require(g.Find(key) == &value);
    (void)g.GetString(key);
    (void)g.GetInt(key);
    (void)g.GetFloat(key);
    (void)g.GetBool(key);
    (void)g.GetStringArray(key);
    (void)g.GetNumberArray(key);
  }
  auto config = engine::ModelConfig::FromGguf(g);
  if (config.ok()) {
    fuzz::Require(config->Validate().ok());
    fuzz::Require(config->ParameterCount() > 0);
  }
  return 0;
}
