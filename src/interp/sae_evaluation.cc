#include "warden/interp/sae_evaluation.h"

namespace warden::interp {

Result<SaeEvaluation> EvaluateSae(const engine::LanguageModel& model, const Sae& sae,
                                  const std::vector<LabelledConversation>& data, const std::string& chat_format) {
  if (data.empty()) return Status::InvalidArgument("SAE evaluation: no conversations");
  if (!sae.model_sha256.empty()) {
    WARDEN_ASSIGN_OR_RETURN(std::string sha, model.WeightsSha256());
    if (sha != sae.model_sha256) {
      return Status::InvalidArgument("this SAE was trained on another model (" + sae.model_sha256.substr(0, 12) + "...)");
    }
  }
  std::vector<std::pair<size_t, int64_t>> where;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::pair<int64_t, int64_t>> spans;
  WARDEN_ASSIGN_OR_RETURN(Matrix acts, CaptureTokenActivations(model, data, sae.hook, chat_format, &where, &ids, &spans));
  if (acts.cols != sae.d_in) {
    return Status::InvalidArgument("hook '" + sae.hook + "' is " + std::to_string(acts.cols) + " wide, the SAE reads " +
                                   std::to_string(sae.d_in));
  }
  SaeEvaluation e;
  e.tokens = acts.rows;
  e.metrics = EvaluateSae(sae, acts);
  // The loss over the answers (what a chat model was trained to predict) when there are any.
  for (const auto& span : spans) e.loss_on_answers |= span.second > span.first;
  WARDEN_ASSIGN_OR_RETURN(e.loss, MeasureSplicedLoss(model, sae, ids, e.loss_on_answers ? spans : decltype(spans){}));
  e.dashboard_html = SaeDashboardHtml(sae, acts, where, ids, *model.tokenizer(), e.metrics);
  return e;
}

Result<Sae> TrainSaeOnConversations(const engine::LanguageModel& model, const std::vector<LabelledConversation>& data,
                                    const std::string& hook, const std::string& chat_format,
                                    const SaeTrainOptions& options) {
  WARDEN_ASSIGN_OR_RETURN(Matrix acts, CaptureTokenActivations(model, data, hook, chat_format));
  WARDEN_ASSIGN_OR_RETURN(Sae sae, TrainSae(acts, hook, options));
  WARDEN_ASSIGN_OR_RETURN(sae.model_sha256, model.WeightsSha256());
  for (const LabelledConversation& c : data) sae.trained_on.push_back(c.id);
  return sae;
}

}  // namespace warden::interp
