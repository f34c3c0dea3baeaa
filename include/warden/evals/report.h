// `warden eval report LOG`: an evaluation log rendered as one self-contained HTML page: what was
// evaluated (model and dataset hashes, scorer, solver), the metric with its interval, the
// per-category breakdown, and a sample viewer (filter by score or error, click a row to read
// the conversation and the output). Reads the log as a stream.
#pragma once

#include <string>

#include "warden/base/status.h"

namespace warden::evals {

// Returns the HTML; text from the log is escaped, never interpreted.
Result<std::string> RenderEvalReport(const std::string& log_path);

}  // namespace warden::evals
