// `warden serve eval --html`: the evaluation as a page people would rather look at than read: per
// dataset, horizontal bars with their 95% intervals for the share the model refuses unguarded, the
// share the safeguards stop, and (harmful data) the share of the model's compliances released.
#pragma once

#include <string>
#include <vector>

#include "warden/guard/safeguard_eval.h"

namespace warden::guard {

// A self-contained HTML page with inline SVG. `title` names what was evaluated (model,
// safeguards file, prefix).
std::string SafeguardEvalHtml(const std::string& title, const std::vector<SafeguardEvalResult>& results);

}  // namespace warden::guard
