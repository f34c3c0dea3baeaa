#include "warden/interp/output_calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "interp/encoding.h"
#include "warden/interp/monitored_generation.h"
#include "warden/interp/probe.h"

namespace warden::interp {
namespace {

// Each conversation's answer, scored token by token: its maximum (-inf for an empty answer).
Result<std::vector<double>> MaxScores(const engine::LanguageModel& lm, const MonitorPack& pack,
                                      const std::vector<const LabelledConversation*>& rows, const OutputCalibrationOptions& o) {
  const engine::Tokenizer& tok = *lm.tokenizer();
  WARDEN_ASSIGN_OR_RETURN(std::optional<engine::ChatFormat> format, engine::ResolveChatFormat(o.chat_format, tok));
  std::vector<double> out;
  engine::SamplingOptions so;
  so.max_new_tokens = o.max_tokens + 1;  // the last answer token is read when the next is sampled
  if (format) so.stop = {engine::ChatTurnEnd(*format)};
  for (size_t start = 0; start < rows.size(); start += std::max<size_t>(1, o.batch_size)) {
    const size_t end = std::min(rows.size(), start + std::max<size_t>(1, o.batch_size));
    std::vector<std::vector<int32_t>> prompts;
    for (size_t i = start; i < end; ++i) {
      WARDEN_ASSIGN_OR_RETURN(internal::Encoded e, internal::Encode(tok, format, *rows[i]));
      prompts.push_back(std::move(e.ids));
    }
    std::vector<double> best(end - start, -std::numeric_limits<double>::infinity());
    MonitoredCallbacks cb;
    cb.on_scored = [&](int64_t b, int64_t index, const std::vector<double>& s, const std::vector<double>&) {
      if (index < o.max_tokens && std::isfinite(s[0])) best[b] = std::max(best[b], s[0]);
      return true;
    };
    WARDEN_RETURN_IF_ERROR(GenerateMonitored(lm, prompts, so, {}, {&pack}, cb).status());
    out.insert(out.end(), best.begin(), best.end());
  }
  return out;
}

}  // namespace

Result<OutputCalibration> CalibrateOutputMonitor(const engine::LanguageModel& lm, const MonitorPack& input_pack,
                                                 const std::vector<LabelledConversation>& data,
                                                 const OutputCalibrationOptions& o) {
  if (o.position == PositionRule::kLastPrompt || o.position == PositionRule::kPromptMean) {
    return Status::InvalidArgument("an output monitor reads an answer: position last or response-mean");
  }
  if (lm.tokenizer() == nullptr) return Status::InvalidArgument("the model has no tokenizer");
  OutputCalibration c;
  c.pack = input_pack;
  c.pack.position = o.position;
  std::vector<const LabelledConversation*> calib;
  std::map<std::string, std::vector<const LabelledConversation*>> test;
  for (const LabelledConversation& r : data) {
    if (r.label != 0) continue;
    if (!r.messages.empty() && r.messages.back().role == "assistant") {
      return Status::InvalidArgument(r.id + ": calibration needs requests (conversations ending with the user's turn)");
    }
    if (r.split == "train") calib.push_back(&r);
    else test[r.category].push_back(&r);
  }
  if (calib.empty()) return Status::InvalidArgument("no benign rows of split \"train\" to calibrate on");
  WARDEN_ASSIGN_OR_RETURN(std::vector<double> scores, MaxScores(lm, c.pack, calib, o));
  WARDEN_ASSIGN_OR_RETURN(Threshold t, ThresholdAtFpr(scores, std::vector<int>(scores.size(), 0), o.target_fpr));
  c.pack.threshold = t.value;
  c.pack.target_fpr = o.target_fpr;
  c.pack.calibration_fpr = t.fpr;
  c.pack.calibration_data += std::string(c.pack.calibration_data.empty() ? "" : "; ") +
                             "output threshold: max per-token score over the model's answers to benign train requests";
  for (const LabelledConversation* r : calib) c.pack.trained_on.push_back(r->id);
  c.calibration_answers = calib.size();
  c.calibration_fpr = t.fpr;
  for (const auto& [category, rows] : test) {
    WARDEN_ASSIGN_OR_RETURN(std::vector<double> s, MaxScores(lm, c.pack, rows, o));
    size_t cut = 0;
    for (double v : s) cut += v > c.pack.threshold;
    c.test_cut[category] = {cut, s.size()};
  }
  return c;
}

}  // namespace warden::interp
