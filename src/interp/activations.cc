#include "warden/interp/activations.h"

#include <algorithm>
#include <cctype>

#include "engine/torch_pch.h"
#include "interp/encoding.h"
#include "warden/base/rng.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::interp {

Matrix BagOfWords(const std::vector<std::string>& texts, int64_t buckets) {
  Matrix m{static_cast<int64_t>(texts.size()), buckets, std::vector<float>(texts.size() * static_cast<size_t>(buckets), 0)};
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string word;
    auto flush = [&] {
      if (word.empty()) return;
      m.data[i * static_cast<size_t>(buckets) + Fnv1a64(word) % static_cast<uint64_t>(buckets)] += 1;
      word.clear();
    };
    for (char ch : texts[i]) {
      if (std::isalnum(static_cast<unsigned char>(ch))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      } else {
        flush();
      }
    }
    flush();
  }
  return m;
}


Result<PositionRule> PositionRuleFromName(const std::string& name) {
  if (name == "last-prompt") return PositionRule::kLastPrompt;
  if (name == "response-mean") return PositionRule::kResponseMean;
  if (name == "last") return PositionRule::kLast;
  if (name == "prompt-mean") return PositionRule::kPromptMean;
  return Status::InvalidArgument("unknown position rule '" + name + "' (last-prompt, response-mean, last, prompt-mean)");
}

const char* PositionRuleName(PositionRule r) {
  switch (r) {
    case PositionRule::kLastPrompt: return "last-prompt";
    case PositionRule::kResponseMean: return "response-mean";
    case PositionRule::kLast: return "last";
    case PositionRule::kPromptMean: return "prompt-mean";
  }
  return "?";
}

const HookActivations* ActivationSet::Find(const std::string& hook) const {
  for (const HookActivations& h : hooks) {
    if (h.name == hook) return &h;
  }
  return nullptr;
}

Result<ActivationSet> CaptureActivations(const engine::LanguageModel& lm, const std::vector<LabelledConversation>& data,
                                         const std::string& pattern, PositionRule rule, const CaptureOptions& o) {
  const engine::Tokenizer* tok = lm.tokenizer();
  if (tok == nullptr) return Status::InvalidArgument("the model has no tokenizer");
  if (data.empty()) return Status::InvalidArgument("no conversations to capture");
  WARDEN_ASSIGN_OR_RETURN(std::optional<engine::ChatFormat> format, engine::ResolveChatFormat(o.chat_format, *tok));
  const engine::Model& model = lm.model();
  const engine::HookPoints& points = model.hook_points();
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> ids, points.Match(pattern));
  ActivationSet set;
  set.rule = rule;
  WARDEN_ASSIGN_OR_RETURN(set.model_sha256, lm.WeightsSha256());
  for (int id : ids) {
    const std::vector<int64_t> shape = points.Shape(id, 1, 1, 1);
    if (shape.size() != 3 || engine::HookPoints::PosAxis(points.Kind(id)) != 1) {
      return Status::InvalidArgument("hook '" + points.Name(id) + "' is not [batch, pos, d]: capture residual-like hooks");
    }
    set.hooks.push_back({points.Name(id), Matrix{0, shape[2], {}}});
  }
  std::vector<internal::Encoded> encoded;
  for (const LabelledConversation& c : data) {
    WARDEN_ASSIGN_OR_RETURN(internal::Encoded e, internal::Encode(*tok, format, c));
    if (rule == PositionRule::kResponseMean && e.response_end <= e.response_start) {
      return Status::InvalidArgument(c.id + ": no assistant message to average over (use last-prompt or last)");
    }
    if (static_cast<int64_t>(e.ids.size()) > model.config().n_ctx) {
      return Status::InvalidArgument(c.id + ": " + std::to_string(e.ids.size()) + " tokens, longer than the model's context of " +
                                     std::to_string(model.config().n_ctx));
    }
    encoded.push_back(std::move(e));
  }
  const size_t batch = std::max<size_t>(1, o.batch_size);
  try {
    c10::InferenceMode guard;
    for (size_t start = 0; start < encoded.size(); start += batch) {
      const size_t end = std::min(encoded.size(), start + batch);
      std::vector<std::vector<int32_t>> seqs;
      for (size_t i = start; i < end; ++i) seqs.push_back(encoded[i].ids);
      engine::Hooks hooks(points);
      engine::ActivationCache cache;
      WARDEN_RETURN_IF_ERROR(hooks.Capture(pattern, &cache));
      engine::ForwardBatch fb = engine::ForwardBatch::LeftPadded(seqs, model.device());
      model.Forward(fb, nullptr, &hooks);
      const int64_t T = fb.tokens.size(1);
      for (HookActivations& h : set.hooks) {
        WARDEN_ASSIGN_OR_RETURN(torch::Tensor act, cache.Stacked(h.name));
        act = act.to(torch::kFloat).to(torch::kCPU);  // [B, T, d]
        for (size_t i = start; i < end; ++i) {
          const internal::Encoded& e = encoded[i];
          const int64_t pad = T - static_cast<int64_t>(e.ids.size());
          const int64_t b = static_cast<int64_t>(i - start);
          torch::Tensor v;
          switch (rule) {
            case PositionRule::kLastPrompt: v = act[b][pad + e.response_start - 1]; break;
            case PositionRule::kLast: v = act[b][T - 1]; break;
            case PositionRule::kPromptMean: v = act[b].narrow(0, pad, e.response_start).mean(0); break;
            case PositionRule::kResponseMean:
              v = act[b].narrow(0, pad + e.response_start, e.response_end - e.response_start).mean(0);
              break;
          }
          v = v.contiguous();
          h.values.data.insert(h.values.data.end(), v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
          ++h.values.rows;
        }
      }
      if (o.progress) o.progress(end, encoded.size());
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("activation capture failed: ") + e.what());
  }
  for (const LabelledConversation& c : data) {
    LabelledConversation meta = c;
    meta.messages.clear();
    set.items.push_back(std::move(meta));
  }
  return set;
}

}  // namespace warden::interp
