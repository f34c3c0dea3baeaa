// libFuzzer target for evaluation datasets (include/warden/evals/dataset.h): any bytes, read as
// CSV, JSON, JSONL or gzip of those, must give samples or an error naming the source, never a
// crash, a hang or an exception. The first input byte picks the format and the field mapping.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "warden/evals/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string names[] = {"f.csv", "f.json", "f.jsonl", "f.jsonl.gz"};
  const uint8_t mode = data[0];
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  warden::evals::FieldMap f;
  f.input = (mode & 4) ? "q.stem" : "input";
  if (mode & 8) f.choices = (mode & 3) == 0 ? "a|b" : "choices";
  if (mode & 16) f.target = "target";
  if (mode & 32) f.id = "id";
  if (mode & 64) f.category = "category";
  const auto bad = (mode & 128) ? warden::evals::BadRows::kFail : warden::evals::BadRows::kSkip;
  auto d = warden::evals::ParseDataset(bytes, names[mode & 3], f, bad);
  if (d.ok()) {
    warden::fuzz::Require(!d->samples.empty());
    for (const auto& s : d->samples) {
      warden::fuzz::Require(!s.input.empty() && !s.id.empty());
      if (!s.target.empty() && !s.choices.empty()) {
        warden::fuzz::Require(s.target.size() == 1 && static_cast<size_t>(s.target[0] - 'A') < s.choices.size());
      }
    }
  } else {
    warden::fuzz::Require(d.status().message().rfind(names[mode & 3], 0) == 0);  // names the source
  }
  return 0;
}
