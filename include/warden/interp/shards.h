// Activation datasets on disk: a directory of safetensors shards and a manifest.
//
//   <dir>/shard-00000.safetensors ...  one float32 tensor per hook [rows, d] and "labels" int64
//                                      [rows]; the ids, splits, categories, clusters, the
//                                      position rule and the model's sha256 in the metadata
//   <dir>/manifest.json                written last: {"format": "warden-activations/1", "rows",
//                                      "shards", "hooks": [{"name", "d"}], "position",
//                                      "model_sha256"}
//
// CaptureToShards captures and writes one shard at a time, so memory holds one shard's rows
// (rows_per_shard x the hooks' widths), never the dataset. A directory without its manifest is
// an interrupted capture, and reading it is an error, as is a shard the manifest does not
// account for. Writing into a directory that already holds a dataset is an error unless
// `overwrite`, which removes the old shards and manifest first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/activations.h"

namespace warden::interp {

inline constexpr const char* kActivationsFormat = "warden-activations/1";

// Writes shards in order, then the manifest on Finish.
class ShardWriter {
 public:
  static Result<ShardWriter> Create(const std::string& dir, bool overwrite);
  // Rows of `chunk` as shards of at most `rows_per_shard` rows. Every chunk must have the first
  // one's hooks, widths, position rule and model.
  Status Append(const ActivationSet& chunk, int64_t rows_per_shard);
  Status Finish();
  int64_t rows() const { return rows_; }
  int64_t shards() const { return shards_; }

 private:
  std::string dir_;
  int64_t rows_ = 0, shards_ = 0;
  std::vector<std::pair<std::string, int64_t>> hooks_;  // name, width
  std::string position_, model_sha256_;
};

// The whole set at once (it is already in memory).
Status WriteActivationShards(const ActivationSet& set, const std::string& dir, int64_t rows_per_shard = 4096,
                             bool overwrite = false);

// Captures `data` rows_per_shard conversations at a time and writes each as a shard: bounded
// memory. options.progress reports conversations done over the whole dataset.
Result<int64_t> CaptureToShards(const engine::LanguageModel& model, const std::vector<LabelledConversation>& data,
                                const std::string& hook_pattern, PositionRule rule, const std::string& dir,
                                int64_t rows_per_shard, const CaptureOptions& options = {}, bool overwrite = false);

Result<ActivationSet> ReadActivationShards(const std::string& dir);

}  // namespace warden::interp
