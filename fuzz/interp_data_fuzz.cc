// libFuzzer target for the interp datasets (include/warden/interp/datasets.h): any bytes, read as
// labelled conversations or as contrast pairs (the first byte picks which), must give rows or
// an error naming the source, never a crash, a hang or an exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "warden/interp/datasets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  using warden::fuzz::Require;
  if (data[0] & 1) {
    auto pairs = warden::interp::ParseContrastPairs(text, "p.jsonl");
    if (pairs.ok()) {
      Require(pairs->size() > 0 && pairs->first.size() == pairs->second.size() &&
              pairs->first_is_true.size() == pairs->size());
      for (size_t i = 0; i < pairs->size(); ++i) {
        Require(!pairs->first[i].messages.empty() && !pairs->second[i].messages.empty());
        Require(pairs->first[i].label == pairs->first_is_true[i] && pairs->second[i].label == 1 - pairs->first_is_true[i]);
      }
    } else {
      Require(pairs.status().message().rfind("p.jsonl", 0) == 0);
    }
  } else {
    auto rows = warden::interp::ParseLabelledConversations(text, "d.jsonl");
    if (rows.ok()) {
      Require(!rows->empty());
      for (const auto& r : *rows) {
        Require(!r.messages.empty() && r.label >= -1 && r.label <= 1);
        Require(!r.cluster.empty() || r.id.empty());  // the cluster defaults to the id
      }
    } else {
      Require(rows.status().message().rfind("d.jsonl", 0) == 0);
    }
  }
  return 0;
}
