// Refitting as checkpoints arrive: a poller over a directory of eval logs.
//
//   forecast::ForecastWatcher w(options);
//   while (...) { Result<bool> r = w.Poll(); if (r.ok() && *r) Use(*w.latest()); sleep(...); }
//
// Not thread-safe: one thread polls. The clock is the caller's: Poll never sleeps.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "warden/base/status.h"
#include "warden/forecast/forecast.h"
#include "warden/forecast/sources.h"

namespace warden::forecast {

struct WatchOptions {
  std::string dir;             // polled recursively for *.jsonl eval logs
  LogSourceOptions source;     // metric, task, FLOPs given by hand
  ForecastOptions forecast;
  std::string svg_path;        // rewritten (atomically) after each refit; empty: none
  std::string json_path;       // ForecastToJson, likewise
  std::string title = "forecast";
};

class ForecastWatcher {
 public:
  explicit ForecastWatcher(WatchOptions options) : o_(std::move(options)) {}

  // Looks at the directory once. When the finished logs differ from those of the last refit (a
  // new one, or one rewritten), reads them all, refits, rewrites the outputs and returns true.
  // Returns false when nothing changed or when there are not yet 3 distinct compute values
  // (status() says which). Errors (an unreadable directory, a corrupt log, a log whose model has
  // no FLOPs, a failed write) leave the last forecast in place; the next Poll tries again.
  Result<bool> Poll();

  const Forecast* latest() const { return latest_.get(); }  // nullptr until the first refit
  const LogScan& last_scan() const { return scan_; }        // the logs read at the last change
  const std::string& status() const { return status_; }     // one line on the last Poll
  int refits() const { return refits_; }

 private:
  using Signature = std::map<std::string, std::pair<uintmax_t, int64_t>>;  // path -> (size, mtime)
  Result<Signature> Sign(const std::vector<std::string>& paths) const;

  WatchOptions o_;
  Signature seen_;      // every log at the last look
  Signature fitted_;    // the finished logs behind latest_
  LogScan scan_;
  std::unique_ptr<Forecast> latest_;
  std::string status_ = "not polled yet";
  int refits_ = 0;
};

}  // namespace warden::forecast
