// Generation watched by monitor packs (monitored_generation.h).
#include "warden/interp/monitored_generation.h"

#include <chrono>
#include <map>

#include "engine/torch_pch.h"
#include "warden/engine/torch/batch_decoder.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::interp {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Status CheckPack(const engine::HookPoints& points, const MonitorPack& pack, bool input, size_t i) {
  const std::string where = std::string(input ? "input" : "output") + " monitor " + std::to_string(i) + " ('" +
                            pack.name + "')";
  const bool reads_prompt = pack.position == PositionRule::kLastPrompt || pack.position == PositionRule::kPromptMean;
  if (input && !reads_prompt) {
    return Status::InvalidArgument(where + ": reads " + PositionRuleName(pack.position) +
                                   "; an input monitor must read last-prompt or prompt-mean");
  }
  if (!input && reads_prompt) {
    return Status::InvalidArgument(where + ": reads " + PositionRuleName(pack.position) +
                                   " (the request); an output monitor reads last or response-mean: use this pack as an "
                                   "input monitor");
  }
  Result<int> id = points.Find(pack.hook);
  if (!id.ok()) return id.status().WithContext(where);
  const std::vector<int64_t> shape = points.Shape(*id, 1, 1, 1);
  if (shape.size() != 3 || engine::HookPoints::PosAxis(points.Kind(*id)) != 1) {
    return Status::InvalidArgument(where + ": hook '" + pack.hook + "' is not [batch, pos, d]");
  }
  if (static_cast<int64_t>(pack.probe.weight.size()) != shape[2]) {
    return Status::InvalidArgument(where + ": probe width " + std::to_string(pack.probe.weight.size()) +
                                   " does not match hook '" + pack.hook + "' of width " + std::to_string(shape[2]));
  }
  return Status::Ok();
}

}  // namespace

Status CheckMonitorPacks(const engine::LanguageModel& model, const std::vector<const MonitorPack*>& input_packs,
                         const std::vector<const MonitorPack*>& output_packs) {
  const engine::HookPoints& points = model.model().hook_points();
  for (size_t i = 0; i < input_packs.size(); ++i) WARDEN_RETURN_IF_ERROR(CheckPack(points, *input_packs[i], true, i));
  for (size_t i = 0; i < output_packs.size(); ++i) WARDEN_RETURN_IF_ERROR(CheckPack(points, *output_packs[i], false, i));
  return Status::Ok();
}

struct MonitoredDecoder::Impl {
  const engine::Model* model = nullptr;
  std::vector<const MonitorPack*> input_packs, output_packs;
  std::unique_ptr<engine::BatchDecoder> decoder;
  std::unique_ptr<engine::Hooks> hooks;
  MonitorTiming timing;

  struct RowState {
    std::vector<double> input_scores;
    std::vector<double> input_seconds;
    std::vector<std::vector<double>> token_scores;  // [generated index][output pack]
    std::vector<std::vector<double>> token_seconds;  // [generated index][output pack]: that step's time
    std::vector<std::vector<double>> sums;           // response-mean packs' running sums
    size_t delivered = 0;
    bool announced = false, ended = false;
  };
  std::map<int64_t, RowState> rows;
  std::vector<std::pair<int64_t, engine::Generation>> finished;
  const MonitoredCallbacks* cb = nullptr;  // during Step

  void OnPrefill(torch::Tensor& act, const std::vector<size_t>& ins);
  void OnDecode(torch::Tensor& act, const std::vector<size_t>& outs);
  // Delivers the scores of row `id`'s tokens [delivered, upto); false if a callback ended the row.
  bool Deliver(int64_t id, RowState& r, size_t upto);
  bool OnToken(int64_t id, int32_t token, float logprob);
};

void MonitoredDecoder::Impl::OnPrefill(torch::Tensor& act, const std::vector<size_t>& ins) {
  if (ins.empty()) return;
  const std::vector<engine::ForwardRow>& fw = decoder->forward();
  const int64_t B = act.size(0), T = act.size(1);
  const auto t0 = Clock::now();
  torch::Tensor last = act.select(1, -1).to(torch::kFloat).to(torch::kCPU).contiguous();  // [B, d]
  torch::Tensor mean;  // [B, d]: each row's mean over its own prompt tokens (left padding skipped)
  for (size_t i : ins) {
    if (input_packs[i]->position != PositionRule::kPromptMean || mean.defined()) continue;
    std::vector<torch::Tensor> means;
    for (int64_t b = 0; b < B; ++b) means.push_back(act[b].narrow(0, T - fw[b].prompt_len, fw[b].prompt_len).to(torch::kFloat).mean(0));
    mean = torch::stack(means).to(torch::kCPU).contiguous();
  }
  const double shared = Since(t0);
  for (size_t i : ins) {
    const auto t1 = Clock::now();
    const torch::Tensor& x = input_packs[i]->position == PositionRule::kPromptMean ? mean : last;
    for (int64_t b = 0; b < B; ++b) {
      rows[fw[b].id].input_scores[i] = input_packs[i]->probe.ScoreRow(x[b].data_ptr<float>(), x.size(1));
    }
    const double seconds = shared + Since(t1);
    for (int64_t b = 0; b < B; ++b) rows[fw[b].id].input_seconds[i] = seconds;
    timing.input_seconds += seconds;
  }
}

void MonitoredDecoder::Impl::OnDecode(torch::Tensor& act, const std::vector<size_t>& outs) {
  if (outs.empty()) return;
  const std::vector<engine::ForwardRow>& fw = decoder->forward();
  const size_t n_out = output_packs.size();
  const auto t0 = Clock::now();
  torch::Tensor x = act.select(1, 0).to(torch::kFloat).to(torch::kCPU).contiguous();  // [B, d]
  const double shared = Since(t0);
  const int64_t B = x.size(0), d = x.size(1);
  ++timing.output_steps;
  for (int64_t b = 0; b < B; ++b) {
    RowState& r = rows[fw[b].id];
    const size_t index = static_cast<size_t>(fw[b].fed);
    if (!r.ended && r.token_scores.size() <= index) {
      r.token_scores.resize(index + 1, std::vector<double>(n_out, 0));
      r.token_seconds.resize(index + 1, std::vector<double>(n_out, 0));
    }
  }
  for (size_t i : outs) {
    const auto t1 = Clock::now();
    const MonitorPack& p = *output_packs[i];
    for (int64_t b = 0; b < B; ++b) {
      RowState& r = rows[fw[b].id];
      if (r.ended) continue;
      const int64_t index = fw[b].fed;
      const float* row = x[b].data_ptr<float>();
      double score;
      if (p.position == PositionRule::kResponseMean) {
        std::vector<double>& sum = r.sums[i];
        if (sum.empty()) sum.assign(d, 0);
        std::vector<float> mean(d);
        for (int64_t j = 0; j < d; ++j) {
          sum[j] += row[j];
          mean[j] = static_cast<float>(sum[j] / static_cast<double>(index + 1));
        }
        score = p.probe.ScoreRow(mean.data(), d);
      } else {
        score = p.probe.ScoreRow(row, d);
      }
      r.token_scores[index][i] = score;
    }
    const double seconds = shared + Since(t1);
    for (int64_t b = 0; b < B; ++b) {
      RowState& r = rows[fw[b].id];
      if (!r.ended) r.token_seconds[fw[b].fed][i] = seconds;
    }
    timing.output_seconds += seconds;
  }
}

bool MonitoredDecoder::Impl::Deliver(int64_t id, RowState& r, size_t upto) {
  bool keep = true;
  while (r.delivered < upto && r.delivered < r.token_scores.size()) {
    const size_t k = r.delivered++;
    if (cb->on_scored && !cb->on_scored(id, static_cast<int64_t>(k), r.token_scores[k], r.token_seconds[k])) keep = false;
  }
  return keep;
}

bool MonitoredDecoder::Impl::OnToken(int64_t id, int32_t token, float logprob) {
  RowState& r = rows[id];
  bool keep = true;
  if (!r.announced) {
    r.announced = true;
    if (cb->on_prompt && !cb->on_prompt(id, r.input_scores, r.input_seconds)) keep = false;
  }
  if (keep && !output_packs.empty()) keep = Deliver(id, r, r.token_scores.size());
  if (keep && cb->on_token && !cb->on_token(id, token, logprob)) keep = false;
  if (!keep) r.ended = true;
  return keep;
}

MonitoredDecoder::MonitoredDecoder() : impl_(std::make_unique<Impl>()) {}
MonitoredDecoder::~MonitoredDecoder() = default;

Result<std::unique_ptr<MonitoredDecoder>> MonitoredDecoder::Create(const engine::LanguageModel& lm,
                                                                    const std::vector<const MonitorPack*>& input_packs,
                                                                    const std::vector<const MonitorPack*>& output_packs,
                                                                    int64_t max_rows) {
  WARDEN_RETURN_IF_ERROR(CheckMonitorPacks(lm, input_packs, output_packs));
  std::unique_ptr<MonitoredDecoder> d(new MonitoredDecoder());
  Impl& im = *d->impl_;
  im.model = &lm.model();
  im.input_packs = input_packs;
  im.output_packs = output_packs;
  im.decoder = std::make_unique<engine::BatchDecoder>(*im.model, max_rows);
  im.hooks = std::make_unique<engine::Hooks>(im.model->hook_points());
  // Which packs read each hook.
  std::map<std::string, std::pair<std::vector<size_t>, std::vector<size_t>>> by_hook;
  for (size_t i = 0; i < input_packs.size(); ++i) by_hook[input_packs[i]->hook].first.push_back(i);
  for (size_t i = 0; i < output_packs.size(); ++i) by_hook[output_packs[i]->hook].second.push_back(i);
  for (const auto& [hook, readers] : by_hook) {
    WARDEN_RETURN_IF_ERROR(im.hooks->Add(hook, [&im, ins = readers.first, outs = readers.second](torch::Tensor& act, const engine::HookEvent& ev) {
      if (ev.decode) {
        im.OnDecode(act, outs);
      } else {
        im.OnPrefill(act, ins);
      }
    }));
  }
  return d;
}

Result<int64_t> MonitoredDecoder::Add(std::vector<int32_t> prompt, const engine::SamplingOptions& options, uint64_t stream) {
  WARDEN_ASSIGN_OR_RETURN(int64_t id, impl_->decoder->Add({std::move(prompt), options, stream}));
  Impl::RowState& r = impl_->rows[id];
  r.input_scores.assign(impl_->input_packs.size(), 0);
  r.input_seconds.assign(impl_->input_packs.size(), 0);
  r.sums.resize(impl_->output_packs.size());
  return id;
}

int64_t MonitoredDecoder::rows() const { return impl_->decoder->rows(); }
int64_t MonitoredDecoder::max_rows() const { return impl_->decoder->max_rows(); }
const MonitorTiming& MonitoredDecoder::timing() const { return impl_->timing; }

Status MonitoredDecoder::Step(const MonitoredCallbacks& callbacks) {
  Impl& im = *impl_;
  im.cb = &callbacks;
  Status st = im.decoder->Step(im.hooks.get(), [&im](int64_t id, int32_t token, float lp) { return im.OnToken(id, token, lp); });
  for (auto& [id, gen] : im.decoder->TakeFinished()) {
    auto it = im.rows.find(id);
    if (it != im.rows.end()) {
      // A row that ended by itself (EOS, a stop string, the length) may never have been
      // announced, and the scores of tokens read after its last announcement are still due.
      // Its last sampled token was never fed back, so that one has no score.
      Impl::RowState& r = it->second;
      if (!r.announced && callbacks.on_prompt) callbacks.on_prompt(id, r.input_scores, r.input_seconds);
      if (!im.output_packs.empty() && !gen.tokens.empty()) im.Deliver(id, r, gen.tokens.size() - 1);
      im.rows.erase(it);
    }
    im.finished.emplace_back(id, std::move(gen));
  }
  im.cb = nullptr;
  return st;
}

std::vector<std::pair<int64_t, engine::Generation>> MonitoredDecoder::TakeFinished() {
  return std::exchange(impl_->finished, {});
}

Result<std::vector<engine::Generation>> GenerateMonitored(const engine::LanguageModel& lm,
                                                          const std::vector<std::vector<int32_t>>& prompts,
                                                          const engine::SamplingOptions& options,
                                                          const std::vector<const MonitorPack*>& input_packs,
                                                          const std::vector<const MonitorPack*>& output_packs,
                                                          const MonitoredCallbacks& cb, MonitorTiming* timing) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<MonitoredDecoder> d,
                          MonitoredDecoder::Create(lm, input_packs, output_packs, std::max<int64_t>(1, prompts.size())));
  if (prompts.empty()) return std::vector<engine::Generation>{};
  for (size_t b = 0; b < prompts.size(); ++b) {
    // Checked here so that the error names the prompt.
    if (prompts[b].empty()) return Status::InvalidArgument("prompt " + std::to_string(b) + " is empty");
    WARDEN_RETURN_IF_ERROR(d->Add(prompts[b], options, b).status());
  }
  while (d->rows() > 0) WARDEN_RETURN_IF_ERROR(d->Step(cb));
  std::vector<engine::Generation> out(prompts.size());
  for (auto& [id, gen] : d->TakeFinished()) out[id] = std::move(gen);
  if (timing) *timing = d->timing();
  return out;
}

}  // namespace warden::interp
