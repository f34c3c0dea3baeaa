// Llama2cFile::Parse on arbitrary bytes; on success, every tensor and the config are checked.
#include "fuzz_util.h"
#include "warden/engine/llama2c.h"

using namespace warden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = engine::Llama2cFile::Parse(data, size, "fuzz.bin");
  if (!f.ok()) {
    fuzz::Require(!f.status().message().empty());
    return 0;
  }
  fuzz::TouchTensors(**f, data, size);
  const engine::ModelConfig& c = (*f)->config();
  fuzz::Require(c.Validate().ok());
  // Every float of the file except the 28-byte header and the skipped rotary tables is a weight.
  fuzz::Require(c.ParameterCount() * 4 + 28 + 2 * c.n_ctx * (c.d_head / 2) * 4 ==
                static_cast<int64_t>(size));
  return 0;
}
