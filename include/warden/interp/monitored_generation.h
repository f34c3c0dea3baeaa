// Generation watched by monitor packs that read the model's own activations as it runs: the
// input packs score the prompt in the same prefill that starts the generation, the output packs
// score every generated token. This is the white-box half of `warden serve`'s safeguards
// (guard module); it lives here because it needs the engine's hooks.
//
//   MonitoredCallbacks cb;
//   cb.on_prompt = [&](int64_t row, const std::vector<double>& s) { return s[0] <= t0; };
//   cb.on_scored = [&](int64_t row, int64_t index, const std::vector<double>& s) { ... };
//   GenerateMonitored(lm, prompts, sampling, {&input_pack}, {&output_pack}, cb);
//
// MonitoredDecoder is the same with continuous batching (engine BatchDecoder): a server adds a
// request whenever a row is free and steps the batch; rows join at the next step and leave when
// they end. Callbacks then name rows by the id Add returned.
//
// Scores are plain linear-probe logits (Probe::ScoreRow); a NaN means the activation was not finite.
// When scores are known. A generated token's activation is computed when the token is fed back
// into the model, one step after it was sampled; so token k's output scores arrive (on_scored)
// just before token k+1 is announced (on_token). The last sampled token of a row is never read:
// a caller that must score every token it releases asks for one token more than it releases.
//
// Position rules. Input packs read `last-prompt` (the prompt's final token, as in
// CaptureActivations) or `prompt-mean` (the mean over the prompt's tokens). Output packs read `last` (each token's own activation) or
// `response-mean` (the running mean over the generated tokens so far). Anything else, a pack
// whose hook the model lacks, or one whose width differs from the hook's, is an error before
// anything runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/generation.h"
#include "warden/engine/language_model.h"
#include "warden/interp/monitor_pack.h"

namespace warden::interp {

// `seconds[i]`: the time pack i took at that step, for the whole batch (reading the activation
// off the device included): what a time budget is checked against.
struct MonitoredCallbacks {
  // Once per row, before its first token is announced: each input pack's score, in order.
  // Return false to end the row now (finish_reason "cut"; nothing generated is kept).
  std::function<bool(int64_t row, const std::vector<double>& input_scores, const std::vector<double>& seconds)> on_prompt;
  // Each sampled token, as engine::TokenCallback (return false to end the row).
  engine::TokenCallback on_token;
  // Token `index` (0-based among the row's generated tokens) has been read: each output pack's
  // score, in order. Called in index order. Return false to end the row. Scores of a row's
  // tokens that arrive after the row has ended (it hit EOS or a stop string on the next token)
  // are delivered after generation, where the return value no longer matters.
  std::function<bool(int64_t row, int64_t index, const std::vector<double>& output_scores,
                     const std::vector<double>& seconds)>
      on_scored;
};

struct MonitorTiming {
  double input_seconds = 0;   // all input packs, whole batch
  double output_seconds = 0;  // all output packs, whole batch, all steps
  int64_t output_steps = 0;   // decode steps the output packs scored
};

Result<std::vector<engine::Generation>> GenerateMonitored(const engine::LanguageModel& model,
                                                          const std::vector<std::vector<int32_t>>& prompts,
                                                          const engine::SamplingOptions& options,
                                                          const std::vector<const MonitorPack*>& input_packs,
                                                          const std::vector<const MonitorPack*>& output_packs,
                                                          const MonitoredCallbacks& callbacks,
                                                          MonitorTiming* timing = nullptr);

class MonitoredDecoder {
 public:
  // Checks the packs (CheckMonitorPacks) and sets up a batch of at most `max_rows` rows.
  static Result<std::unique_ptr<MonitoredDecoder>> Create(const engine::LanguageModel& model,
                                                          const std::vector<const MonitorPack*>& input_packs,
                                                          const std::vector<const MonitorPack*>& output_packs,
                                                          int64_t max_rows);
  ~MonitoredDecoder();
  MonitoredDecoder(const MonitoredDecoder&) = delete;
  MonitoredDecoder& operator=(const MonitoredDecoder&) = delete;

  // A row that joins at the next Step; its sampler's stream is `stream` (engine BatchDecoder).
  // Errors as BatchDecoder::Add (a bad prompt or options, a full batch).
  Result<int64_t> Add(std::vector<int32_t> prompt, const engine::SamplingOptions& options, uint64_t stream = 0);
  int64_t rows() const;
  int64_t max_rows() const;
  // One step of the batch with its monitors. A failed step ends every row (finish_reason "error").
  Status Step(const MonitoredCallbacks& callbacks);
  // The rows that ended, with every score they had delivered (see MonitoredCallbacks::on_scored).
  std::vector<std::pair<int64_t, engine::Generation>> TakeFinished();
  // Accumulated since Create.
  const MonitorTiming& timing() const;

 private:
  MonitoredDecoder();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The same checks GenerateMonitored makes, without running anything (for start-up validation).
Status CheckMonitorPacks(const engine::LanguageModel& model, const std::vector<const MonitorPack*>& input_packs,
                         const std::vector<const MonitorPack*>& output_packs);

}  // namespace warden::interp
