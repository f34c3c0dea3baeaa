#include "warden/interp/text_monitor.h"

namespace warden::interp {

bool IsTextMonitor(const MonitorPack& pack) { return pack.hook == kBagOfWordsHook; }

double ScoreText(const MonitorPack& pack, const std::string& text) {
  const int64_t width = static_cast<int64_t>(pack.probe.weight.size());
  const Matrix words = BagOfWords({text}, width);
  return pack.probe.ScoreRow(words.Row(0), width);
}

Result<MonitorTraining> TrainTextMonitor(const std::vector<LabelledConversation>& data, const MonitorTrainOptions& o) {
  if (data.empty()) return Status::InvalidArgument("no labelled requests to train a text monitor on");
  std::vector<std::string> texts;
  ActivationSet set;
  set.rule = PositionRule::kLastPrompt;
  for (const LabelledConversation& c : data) {
    texts.push_back(RequestText(c));
    LabelledConversation meta = c;
    meta.messages.clear();
    set.items.push_back(std::move(meta));
  }
  set.hooks.push_back({kBagOfWordsHook, BagOfWords(texts, kTextMonitorBuckets)});
  WARDEN_ASSIGN_OR_RETURN(MonitorTraining t, TrainMonitor(set, o));
  t.pack.model_sha256.clear();  // reads words: bound to no model
  return t;
}

}  // namespace warden::interp
