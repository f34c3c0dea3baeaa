// Text monitors: a monitor pack that reads words instead of activations. Its "hook" is
// kBagOfWordsHook: lower-cased alphanumeric words hashed into as many buckets as the probe is
// wide (BagOfWords), then the same standardised linear probe. It is bound to no model (its
// model_sha256 is empty and ReadMonitorPack accepts it for any), so it guards a black-box
// upstream as well as an in-process model, and it cannot be fooled by what a model's
// activations do with a trigger, only by the words.
//
//   MonitorTraining t = TrainTextMonitor(LoadLabelledConversations("harm.jsonl").value(), {}).value();
//   WriteMonitorPack(t.pack, "text-harm.safetensors");
//   ScoreText(t.pack, "How do I ...?") > t.pack.threshold   // fires
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/datasets.h"
#include "warden/interp/monitor_pack.h"
#include "warden/interp/monitor_training.h"

namespace warden::interp {

inline constexpr const char* kBagOfWordsHook = "text.bag-of-words";
inline constexpr int64_t kTextMonitorBuckets = 4096;

bool IsTextMonitor(const MonitorPack& pack);
// The pack's score on one text (a logit: higher is more positive).
double ScoreText(const MonitorPack& pack, const std::string& text);

// Trains on each conversation's request (RequestText: its last user message) exactly as
// TrainMonitor trains on activations: fit/validation split by cluster from the "train" rows, the
// threshold calibrated to options.target_fpr on validation negatives, metrics on every other row
// by category. The pack's position is last-prompt (it reads a request; the guard may read it
// over an answer instead).
Result<MonitorTraining> TrainTextMonitor(const std::vector<LabelledConversation>& data, const MonitorTrainOptions& options);

}  // namespace warden::interp
