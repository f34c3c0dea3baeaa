// Generation watched by monitor packs (monitored_generation.h).
#include "warden/interp/monitored_generation.h"

#include <chrono>
#include <map>

#include "engine/torch_pch.h"
#include "warden/engine/torch/generate.h"
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

Result<std::vector<engine::Generation>> GenerateMonitored(const engine::LanguageModel& lm,
                                                          const std::vector<std::vector<int32_t>>& prompts,
                                                          const engine::SamplingOptions& options,
                                                          const std::vector<const MonitorPack*>& input_packs,
                                                          const std::vector<const MonitorPack*>& output_packs,
                                                          const MonitoredCallbacks& cb, MonitorTiming* timing) {
  WARDEN_RETURN_IF_ERROR(CheckMonitorPacks(lm, input_packs, output_packs));
  const engine::Model& model = lm.model();
  const int64_t B = static_cast<int64_t>(prompts.size());
  const size_t n_in = input_packs.size(), n_out = output_packs.size();

  // Per row: the input scores, each generated token's output scores as they arrive, how many of
  // them were delivered, and the running sums for response-mean packs.
  std::vector<std::vector<double>> input_scores(B, std::vector<double>(n_in, 0));
  std::vector<std::vector<std::vector<double>>> token_scores(B);
  std::vector<size_t> delivered(B, 0);
  std::vector<bool> prompt_announced(B, false), ended(B, false);
  std::vector<std::vector<std::vector<double>>> sums(B, std::vector<std::vector<double>>(n_out));
  int64_t prefill_len = 0;
  MonitorTiming local;

  // Which packs read each hook.
  std::map<std::string, std::pair<std::vector<size_t>, std::vector<size_t>>> by_hook;
  for (size_t i = 0; i < n_in; ++i) by_hook[input_packs[i]->hook].first.push_back(i);
  for (size_t i = 0; i < n_out; ++i) by_hook[output_packs[i]->hook].second.push_back(i);

  std::vector<double> input_seconds(n_in, 0);
  std::vector<std::vector<double>> step_seconds;  // [index][output pack]
  engine::Hooks hooks(model.hook_points());
  for (const auto& [hook, readers] : by_hook) {
    const std::vector<size_t> ins = readers.first, outs = readers.second;
    WARDEN_RETURN_IF_ERROR(hooks.Add(hook, [&, ins, outs](torch::Tensor& act, const engine::HookEvent& ev) {
      if (!ev.decode) {
        prefill_len = act.size(1);
        if (ins.empty()) return;
        const auto t0 = Clock::now();
        torch::Tensor last = act.select(1, -1).to(torch::kFloat).to(torch::kCPU).contiguous();  // [B, d]
        torch::Tensor mean;  // [B, d]: each row's mean over its own prompt tokens (left padding skipped)
        for (size_t i : ins) {
          if (input_packs[i]->position != PositionRule::kPromptMean || mean.defined()) continue;
          std::vector<torch::Tensor> rows;
          for (int64_t b = 0; b < B; ++b) {
            const int64_t len = static_cast<int64_t>(prompts[b].size());
            rows.push_back(act[b].narrow(0, act.size(1) - len, len).to(torch::kFloat).mean(0));
          }
          mean = torch::stack(rows).to(torch::kCPU).contiguous();
        }
        const double shared = Since(t0);
        for (size_t i : ins) {
          const auto t1 = Clock::now();
          const torch::Tensor& x = input_packs[i]->position == PositionRule::kPromptMean ? mean : last;
          for (int64_t b = 0; b < B; ++b) {
            input_scores[b][i] = input_packs[i]->probe.ScoreRow(x[b].data_ptr<float>(), x.size(1));
          }
          input_seconds[i] = shared + Since(t1);
          local.input_seconds += input_seconds[i];
        }
        return;
      }
      if (outs.empty()) return;
      const auto t0 = Clock::now();
      const int64_t index = ev.offset - prefill_len;  // the fed token's index among the generated ones
      if (step_seconds.size() <= static_cast<size_t>(index)) {
        step_seconds.resize(index + 1, std::vector<double>(n_out, 0));
        ++local.output_steps;
      }
      torch::Tensor x = act.select(1, 0).to(torch::kFloat).to(torch::kCPU).contiguous();  // [B, d]
      const double shared = Since(t0);
      const int64_t d = x.size(1);
      for (int64_t b = 0; b < B; ++b) {
        if (!ended[b] && token_scores[b].size() <= static_cast<size_t>(index)) {
          token_scores[b].resize(index + 1, std::vector<double>(n_out, 0));
        }
      }
      for (size_t i : outs) {
        const auto t1 = Clock::now();
        const MonitorPack& p = *output_packs[i];
        for (int64_t b = 0; b < B; ++b) {
          if (ended[b]) continue;
          const float* row = x[b].data_ptr<float>();
          double score;
          if (p.position == PositionRule::kResponseMean) {
            std::vector<double>& s = sums[b][i];
            if (s.empty()) s.assign(d, 0);
            std::vector<float> mean(d);
            for (int64_t j = 0; j < d; ++j) {
              s[j] += row[j];
              mean[j] = static_cast<float>(s[j] / static_cast<double>(index + 1));
            }
            score = p.probe.ScoreRow(mean.data(), d);
          } else {
            score = p.probe.ScoreRow(row, d);
          }
          token_scores[b][index][i] = score;
        }
        step_seconds[index][i] = shared + Since(t1);
        local.output_seconds += step_seconds[index][i];
      }
    }));
  }

  auto deliver = [&](int64_t b, size_t upto) {  // delivers scores of tokens [delivered, upto)
    bool keep = true;
    while (delivered[b] < upto && delivered[b] < token_scores[b].size()) {
      const size_t k = delivered[b]++;
      if (cb.on_scored && !cb.on_scored(b, static_cast<int64_t>(k), token_scores[b][k], step_seconds[k])) keep = false;
    }
    return keep;
  };
  auto on_token = [&](int64_t b, int32_t token, float logprob) -> bool {
    bool keep = true;
    if (!prompt_announced[b]) {
      prompt_announced[b] = true;
      if (cb.on_prompt && !cb.on_prompt(b, input_scores[b], input_seconds)) keep = false;
    }
    if (keep && n_out > 0) keep = deliver(b, token_scores[b].size());
    if (keep && cb.on_token && !cb.on_token(b, token, logprob)) keep = false;
    if (!keep) ended[b] = true;
    return keep;
  };

  Result<std::vector<engine::Generation>> gens = Status::Internal("generation did not run");
  try {
    gens = engine::Generate(model, prompts, options, &hooks, on_token);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("monitored generation failed: ") + e.what());
  }
  if (!gens.ok()) return gens.status();
  // Rows that ended by themselves (EOS, a stop string, the length) without a last announcement.
  // A row's last sampled token was never fed back (what the batch fed after it is padding), so
  // its score, if any was computed, is not delivered.
  for (int64_t b = 0; b < B; ++b) {
    if (!prompt_announced[b] && cb.on_prompt) cb.on_prompt(b, input_scores[b], input_seconds);
    const size_t n = (*gens)[b].tokens.size();
    if (n_out > 0 && n > 0) deliver(b, n - 1);
  }
  if (timing) *timing = local;
  return gens;
}

}  // namespace warden::interp
