#include "warden/interp/own_answer.h"

#include "warden/interp/replies.h"

namespace warden::interp {

Result<PairTestAccuracy> OwnAnswerBaseline(const engine::LanguageModel& model, const ContrastPairs& pairs,
                                           const std::vector<std::string>& replies, const CaptureOptions& options,
                                           uint64_t seed) {
  if (replies.size() != 2) {
    return Status::InvalidArgument("the own-answer baseline needs two replies, affirming and denying (got " +
                                   std::to_string(replies.size()) + ")");
  }
  auto margins = [&](const std::vector<LabelledConversation>& side) -> Result<std::vector<double>> {
    WARDEN_ASSIGN_OR_RETURN(std::vector<std::vector<double>> scores, ScoreReplies(model, side, replies, options));
    std::vector<double> m;
    m.reserve(scores.size());
    for (const std::vector<double>& s : scores) m.push_back(s[0] - s[1]);
    return m;
  };
  WARDEN_ASSIGN_OR_RETURN(std::vector<double> first, margins(pairs.first));
  WARDEN_ASSIGN_OR_RETURN(std::vector<double> second, margins(pairs.second));
  return OwnAnswerAccuracy(first, second, pairs, seed);
}

}  // namespace warden::interp
