// SafetensorsFile::Parse on arbitrary bytes; on success, every tensor is read and checked.
#include "fuzz_util.h"
#include "warden/engine/safetensors.h"

using namespace warden;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = engine::SafetensorsFile::Parse(data, size, "fuzz.safetensors");
  if (!f.ok()) {
    fuzz::Require(!f.status().message().empty());
    return 0;
  }
  fuzz::TouchTensors(**f, data, size);
  return 0;
}
