#include "warden/interp/monitor_training.h"

#include "warden/base/rng.h"

namespace warden::interp {

std::vector<int> LabelsOf(const ActivationSet& set, const std::vector<size_t>& rows) {
  std::vector<int> y;
  for (size_t i : rows) y.push_back(set.items[i].label);
  return y;
}

DetectionMetrics MeasureDetection(const ActivationSet& set, const std::vector<size_t>& rows,
                                  const std::vector<double>& scores, double threshold, bool calibrated) {
  const std::vector<int> y = LabelsOf(set, rows);
  std::vector<std::string> clusters;
  for (size_t i : rows) clusters.push_back(set.items[i].cluster);
  DetectionMetrics m;
  m.n = rows.size();
  m.recall = RecallAbove(scores, y, threshold);
  m.fpr = FprAbove(scores, y, threshold);
  Result<AurocEstimate> auc = AurocWithInterval(scores, y, clusters);
  if (auc.ok()) {
    m.auroc = auc->value;
    m.auroc_ci = auc->interval;
  } else {
    m.auroc_error = auc.status().message();
  }
  if (calibrated) m.calibration_error = CalibrationError(scores, y);
  return m;
}

std::string RequestText(const LabelledConversation& c) {
  std::string text;
  for (const engine::ChatMessage& m : c.messages) {
    if (m.role == "user") text = m.content;
  }
  return text;
}

Result<BaselineMetrics> BagOfWordsBaseline(const ActivationSet& set, const std::vector<LabelledConversation>& data,
                                           const MonitorTraining& t, double target_fpr) {
  if (data.size() != set.items.size()) {
    return Status::InvalidArgument("bag-of-words baseline: " + std::to_string(data.size()) + " conversations for " +
                                   std::to_string(set.items.size()) + " activation rows");
  }
  std::vector<std::string> texts;
  for (const LabelledConversation& c : data) texts.push_back(RequestText(c));
  const Matrix bow = BagOfWords(texts);
  WARDEN_ASSIGN_OR_RETURN(Probe probe, TrainProbe(SelectRows(bow, t.fit), LabelsOf(set, t.fit), ProbeOptions{}));
  WARDEN_ASSIGN_OR_RETURN(Threshold threshold,
                          ThresholdAtFpr(probe.Score(SelectRows(bow, t.validation)), LabelsOf(set, t.validation), target_fpr));
  BaselineMetrics b;
  b.threshold = threshold.value;
  if (t.test.empty()) return b;
  const std::vector<double> scores = probe.Score(SelectRows(bow, t.test));
  b.test = MeasureDetection(set, t.test, scores, threshold.value, false);
  std::map<std::string, std::pair<std::vector<size_t>, std::vector<double>>> by;
  for (size_t k = 0; k < t.test.size(); ++k) {
    auto& [rows, s] = by[set.items[t.test[k]].category];
    rows.push_back(t.test[k]);
    s.push_back(scores[k]);
  }
  for (const auto& [category, rs] : by) {
    if (!category.empty()) b.test_by_category[category] = MeasureDetection(set, rs.first, rs.second, threshold.value, false);
  }
  return b;
}

Result<MonitorTraining> TrainMonitor(const ActivationSet& set, const MonitorTrainOptions& o) {
  MonitorTraining t;
  for (size_t i = 0; i < set.items.size(); ++i) {
    const LabelledConversation& c = set.items[i];
    if (c.label < 0) continue;
    if (c.split == "train") {
      (static_cast<double>(Fnv1a64(c.cluster) % 1000) / 1000.0 < o.validation ? t.validation : t.fit).push_back(i);
    } else {
      t.test.push_back(i);
    }
  }
  if (t.fit.empty() || t.validation.empty()) {
    return Status::InvalidArgument("need rows with split \"train\" (labelled) for fitting and validation (found " +
                                   std::to_string(t.fit.size()) + " to fit, " + std::to_string(t.validation.size()) +
                                   " to validate)");
  }
  WARDEN_ASSIGN_OR_RETURN(t.sweep, SweepHooks(set, t.fit, t.validation, o.probe));
  const HookActivations* h = set.Find(t.sweep.best);
  if (h == nullptr) return Status::Internal("the sweep chose no hook");
  WARDEN_ASSIGN_OR_RETURN(Probe probe, TrainProbe(SelectRows(h->values, t.fit), LabelsOf(set, t.fit), o.probe));
  WARDEN_ASSIGN_OR_RETURN(Threshold threshold, ThresholdAtFpr(probe.Score(SelectRows(h->values, t.validation)),
                                                              LabelsOf(set, t.validation), o.target_fpr));
  MonitorPack& pack = t.pack;
  pack.name = o.name;
  pack.probe = probe;
  pack.hook = h->name;
  pack.position = set.rule;
  pack.threshold = threshold.value;
  pack.target_fpr = o.target_fpr;
  pack.calibration_fpr = threshold.fpr;
  pack.calibration_data = o.calibration_data + " (validation rows of the train split)";
  pack.model_sha256 = set.model_sha256;
  for (size_t i : t.fit) pack.trained_on.push_back(set.items[i].id);
  for (size_t i : t.validation) pack.trained_on.push_back(set.items[i].id);
  if (!t.test.empty()) {
    const bool calibrated = o.probe.kind == ProbeKind::kLogistic;
    const std::vector<double> scores = probe.Score(SelectRows(h->values, t.test));
    t.test_metrics = MeasureDetection(set, t.test, scores, threshold.value, calibrated);
    std::map<std::string, std::vector<size_t>> by;
    for (size_t k = 0; k < t.test.size(); ++k) by[set.items[t.test[k]].category].push_back(k);
    for (const auto& [category, ks] : by) {
      if (category.empty()) continue;
      std::vector<size_t> rows;
      std::vector<double> s;
      for (size_t k : ks) {
        rows.push_back(t.test[k]);
        s.push_back(scores[k]);
      }
      t.test_by_category[category] = MeasureDetection(set, rows, s, threshold.value, false);
    }
  }
  return t;
}

}  // namespace warden::interp
