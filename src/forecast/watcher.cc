// ForecastWatcher (watcher.h).
#include "warden/forecast/watcher.h"

#include <set>

#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/forecast/plot.h"

namespace warden::forecast {

Result<ForecastWatcher::Signature> ForecastWatcher::Sign(const std::vector<std::string>& paths) const {
  Signature sig;
  for (const std::string& p : paths) {
    Result<FileInfo> info = Env::Default()->Stat(p);
    if (!info.ok()) continue;  // vanished between listing and looking: the next poll sees the new state
    sig[p] = {info->size, info->mtime_ns};
  }
  return sig;
}

Result<bool> ForecastWatcher::Poll() {
  WARDEN_ASSIGN_OR_RETURN(std::vector<std::string> paths, ListEvalLogs(o_.dir));
  WARDEN_ASSIGN_OR_RETURN(Signature all, Sign(paths));
  if (all == seen_ && latest_ != nullptr) {
    status_ = "no change";
    return false;
  }
  Result<LogScan> scan = ObservationsFromLogs(paths, o_.source);
  if (!scan.ok()) {
    status_ = scan.status().ToString();
    return scan.status();
  }
  seen_ = all;
  Signature finished;
  std::set<std::string> skipped;
  for (const auto& s : scan->skipped) skipped.insert(s.first);
  for (const auto& [path, stamp] : all) {
    if (skipped.count(path) == 0) finished[path] = stamp;
  }
  scan_ = std::move(scan).value();
  if (finished == fitted_ && latest_ != nullptr) {
    status_ = "no new finished log";
    return false;
  }
  std::set<double> compute;
  for (const Observation& obs : scan_.observations) compute.insert(obs.flops);
  if (compute.size() < 3) {
    status_ = "waiting: " + std::to_string(compute.size()) + " distinct compute values in " +
              std::to_string(scan_.observations.size()) + " finished logs (3 needed)";
    return false;
  }
  Result<Forecast> f = FitForecast(scan_.observations, o_.forecast);
  if (!f.ok()) {
    status_ = f.status().ToString();
    return f.status();
  }
  if (!o_.svg_path.empty()) WARDEN_RETURN_IF_ERROR(WriteFileAtomic(o_.svg_path, ForecastSvg(*f, o_.title)));
  if (!o_.json_path.empty()) WARDEN_RETURN_IF_ERROR(WriteFileAtomic(o_.json_path, ForecastToJson(*f).dump(2) + "\n"));
  latest_ = std::make_unique<Forecast>(std::move(f).value());
  fitted_ = std::move(finished);
  ++refits_;
  status_ = "refitted on " + std::to_string(scan_.observations.size()) + " finished logs";
  return true;
}

}  // namespace warden::forecast
