// EngineBackend: evaluations against a model loaded in-process.
#include <algorithm>
#include <numeric>

#include "warden/base/strings.h"
#include "warden/evals/backend.h"

namespace warden::evals {
namespace {

class EngineBackend : public ModelBackend {
 public:
  EngineBackend(std::shared_ptr<const engine::LanguageModel> model, const EngineBackendOptions& o, bool chat,
                engine::ChatFormat format)
      : model_(std::move(model)), opt_(o), chat_(chat), format_(format) {}

  ModelIdentity Identity() const override {
    ModelIdentity id;
    id.kind = "engine";
    id.name = name_;
    auto sha = model_->WeightsSha256();
    id.sha256 = sha.ok() ? *sha : "";
    id.detail = std::string("chat format ") + (chat_ ? engine::ChatFormatName(format_) : "none") + ", " +
                model_->format();
    return id;
  }
  void set_name(std::string n) { name_ = std::move(n); }

  Result<std::vector<Completion>> Generate(const std::vector<Conversation>& conversations,
                                           const GenerateOptions& options) override {
    std::vector<std::vector<int32_t>> prompts;
    for (const Conversation& c : conversations) {
      WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> ids, PromptIds(c));
      prompts.push_back(std::move(ids));
    }
    // Similar lengths share a batch, so that little is spent on padding.
    std::vector<size_t> order(prompts.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return prompts[a].size() < prompts[b].size(); });
    engine::SamplingOptions s;
    s.max_new_tokens = options.max_tokens;
    s.temperature = options.temperature;
    s.seed = options.seed;
    if (chat_) s.stop = {engine::ChatTurnEnd(format_)};
    std::vector<Completion> out(prompts.size());
    const size_t batch = std::max<size_t>(1, opt_.batch_size);
    for (size_t start = 0; start < order.size(); start += batch) {
      const size_t end = std::min(order.size(), start + batch);
      std::vector<std::vector<int32_t>> rows;
      for (size_t i = start; i < end; ++i) rows.push_back(prompts[order[i]]);
      WARDEN_ASSIGN_OR_RETURN(std::vector<engine::Generation> gens, model_->Generate(rows, s));
      for (size_t i = start; i < end; ++i) {
        engine::Generation& g = gens[i - start];
        Completion& c = out[order[i]];
        c.text = std::string(Trim(g.text));
        c.token_logprobs = std::move(g.logprobs);
        c.finish_reason = g.finish_reason;
      }
    }
    return out;
  }

  Result<std::vector<std::vector<double>>> ScoreReplies(const std::vector<ReplyScoreRequest>& requests) override {
    std::vector<engine::ScoreRequest> flat;
    for (const ReplyScoreRequest& r : requests) {
      WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, PromptIds(r.conversation));
      for (const std::string& reply : r.replies) {
        WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> cont, ReplyIds(r.conversation, prompt, reply));
        flat.push_back({prompt, std::move(cont)});
      }
    }
    std::vector<engine::ContinuationScore> scores;
    if (opt_.max_batch_tokens <= 0) {  // one prompt at a time: the unbatched baseline
      for (const engine::ScoreRequest& r : flat) {
        WARDEN_ASSIGN_OR_RETURN(std::vector<engine::ContinuationScore> one, model_->Score({r}, 1));
        scores.push_back(std::move(one[0]));
      }
    } else {
      WARDEN_ASSIGN_OR_RETURN(scores, model_->Score(flat, opt_.max_batch_tokens));
    }
    std::vector<std::vector<double>> out;
    size_t at = 0;
    for (const ReplyScoreRequest& r : requests) {
      std::vector<double> row;
      for (size_t i = 0; i < r.replies.size(); ++i) row.push_back(scores[at++].logprob);
      out.push_back(std::move(row));
    }
    return out;
  }

 private:
  const engine::Tokenizer& tok() const { return *model_->tokenizer(); }

  // Without a chat format: the messages' contents, system first, one per paragraph.
  static std::string PlainPrompt(const Conversation& c) {
    std::string text;
    for (const engine::ChatMessage& m : c) text += (text.empty() ? "" : "\n\n") + m.content;
    return text + "\n";
  }

  Result<std::vector<int32_t>> PromptIds(const Conversation& c) const {
    if (chat_) return engine::EncodeChat(format_, c, /*add_generation_prompt=*/true, tok());
    return tok().Encode(PlainPrompt(c), {});
  }

  // The reply's tokens after `prompt`, ending with the turn end (chat formats).
  Result<std::vector<int32_t>> ReplyIds(const Conversation& c, const std::vector<int32_t>& prompt,
                                        const std::string& reply) const {
    if (!chat_) {
      engine::EncodeOptions o;
      o.add_bos = false;
      std::vector<int32_t> ids = tok().Encode(reply, o);
      if (ids.empty()) return Status::InvalidArgument("empty reply to score");
      return ids;
    }
    Conversation full = c;
    full.push_back({"assistant", reply});
    WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> ids, engine::EncodeChat(format_, full, false, tok()));
    if (ids.size() <= prompt.size() || !std::equal(prompt.begin(), prompt.end(), ids.begin())) {
      return Status::Internal("the answered conversation does not extend its prompt's tokens (chat format " +
                              std::string(engine::ChatFormatName(format_)) + ")");
    }
    std::vector<int32_t> cont(ids.begin() + static_cast<std::ptrdiff_t>(prompt.size()), ids.end());
    // Up to and including the turn end: what follows it is the template's, not the answer's.
    const std::string end = engine::ChatTurnEnd(format_);
    if (auto end_id = tok().SpecialTokenId(end)) {
      auto it = std::find(cont.begin(), cont.end(), *end_id);
      if (it != cont.end()) cont.erase(it + 1, cont.end());
    }
    return cont;
  }

  std::shared_ptr<const engine::LanguageModel> model_;
  EngineBackendOptions opt_;
  bool chat_;
  engine::ChatFormat format_;
  std::string name_;
};

}  // namespace

Result<std::unique_ptr<ModelBackend>> MakeEngineBackend(std::shared_ptr<const engine::LanguageModel> model,
                                                        const EngineBackendOptions& options) {
  if (model == nullptr) return Status::InvalidArgument("no model");
  const engine::Tokenizer* tok = model->tokenizer();
  if (tok == nullptr) return Status::InvalidArgument("the model has no tokenizer: evaluations need text");
  WARDEN_ASSIGN_OR_RETURN(std::optional<engine::ChatFormat> resolved, engine::ResolveChatFormat(options.chat_format, *tok));
  const bool chat = resolved.has_value();
  const engine::ChatFormat format = resolved.value_or(engine::ChatFormat::kWarden);
  auto b = std::make_unique<EngineBackend>(std::move(model), options, chat, format);
  b->set_name(options.name);
  return std::unique_ptr<ModelBackend>(std::move(b));
}

}  // namespace warden::evals
