// Internal to assess: report.html, the page a reader opens first.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/assess/assess.h"
#include "warden/forecast/forecast.h"

namespace warden::assess::internal {

// The decision first (overall, then per subject with its reasons), then the evidence with its
// intervals, the forecast (inline SVG and back-tests), the integrity checks, the safety cases
// (linked) and, for the zoo, the audit against the cards. `top` is decision.json's content;
// `out_dir` is where the linked files are (read for inline SVG).
std::string RenderReport(const nlohmann::json& top, const std::vector<SubjectResult>& subjects,
                         const forecast::Forecast* forecast, const std::string& out_dir);

}  // namespace warden::assess::internal
