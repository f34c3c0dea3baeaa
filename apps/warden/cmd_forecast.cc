// warden forecast: scaling forecasts of an evaluation score against training compute
// (docs/forecast.md). Points come from eval logs (--log, --logs DIR; FLOPs from the models'
// cards or --flops) or a CSV (--points); --watch DIR refits whenever a new finished log appears.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "cli.h"
#include "flags.h"
#include "warden/base/file.h"
#include "warden/base/format.h"
#include "warden/forecast/forecast.h"
#include "warden/forecast/plot.h"
#include "warden/forecast/sources.h"
#include "warden/forecast/watcher.h"

namespace warden::cli {
namespace {

struct ForecastArgs {
  std::vector<std::string> logs, logs_dirs, flops;
  std::string points, watch, metric, task, svg, out, title;
  forecast::ForecastOptions opt;
  int polls = 0;
  double interval = 10;
  bool json = false;
};

std::map<std::string, double> ParseFlops(const std::vector<std::string>& items) {
  std::map<std::string, double> out;
  for (const std::string& item : items) {
    const size_t eq = item.rfind('=');
    double v = 0;
    size_t used = 0;
    bool ok = eq != std::string::npos && eq > 0;
    if (ok) {
      try {
        v = std::stod(item.substr(eq + 1), &used);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok || used != item.size() - eq - 1 || !(v > 0) || !std::isfinite(v)) {
      throw Error(Status::InvalidArgument("--flops '" + Printable(item) + "': expected LABEL=FLOPS with FLOPS > 0"));
    }
    out[item.substr(0, eq)] = v;
  }
  return out;
}

forecast::LogSourceOptions SourceOptions(const ForecastArgs& a) {
  forecast::LogSourceOptions s;
  s.metric = a.metric;
  s.task = a.task;
  s.flops = ParseFlops(a.flops);
  return s;
}

std::vector<forecast::Observation> LoadPoints(const ForecastArgs& a, std::string* task) {
  const int sources = (!a.logs.empty() || !a.logs_dirs.empty() ? 1 : 0) + (a.points.empty() ? 0 : 1);
  if (sources != 1) throw Error(Status::InvalidArgument("give eval logs (--log FILE, --logs DIR) or --points FILE.csv"));
  if (!a.points.empty()) return forecast::ReadPointsCsv(a.points).ValueOrThrow();
  std::vector<std::string> paths = a.logs;
  for (const std::string& dir : a.logs_dirs) {
    std::vector<std::string> more = forecast::ListEvalLogs(dir).ValueOrThrow();
    paths.insert(paths.end(), more.begin(), more.end());
  }
  forecast::LogScan scan = forecast::ObservationsFromLogs(paths, SourceOptions(a)).ValueOrThrow();
  for (const auto& [path, why] : scan.skipped) std::fprintf(stderr, "skipped %s: %s\n", path.c_str(), why.c_str());
  *task = scan.task;
  return scan.observations;
}

void RunOnce(const ForecastArgs& a) {
  std::string task;
  const std::vector<forecast::Observation> points = LoadPoints(a, &task);
  const forecast::Forecast f = forecast::FitForecast(points, a.opt).ValueOrThrow();
  const std::string title = !a.title.empty() ? a.title : task.empty() ? "forecast" : task;
  if (!a.svg.empty()) WriteFileAtomic(a.svg, forecast::ForecastSvg(f, title)).ThrowIfError();
  nlohmann::json j = forecast::ForecastToJson(f);
  if (!task.empty()) j["task"] = task;
  if (!a.out.empty()) WriteFileAtomic(a.out, j.dump(2) + "\n").ThrowIfError();
  if (a.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << forecast::ForecastText(f);
  }
}

void RunWatch(const ForecastArgs& a) {
  if (!a.logs.empty() || !a.logs_dirs.empty() || !a.points.empty()) {
    throw Error(Status::InvalidArgument("--watch DIR is the source of points: drop --log/--logs/--points"));
  }
  forecast::WatchOptions w;
  w.dir = a.watch;
  w.source = SourceOptions(a);
  w.forecast = a.opt;
  w.svg_path = a.svg;
  w.json_path = a.out;
  w.title = a.title.empty() ? "forecast: " + a.watch : a.title;
  forecast::ForecastWatcher watcher(w);
  std::string last_status;
  for (int poll = 1; a.polls == 0 || poll <= a.polls; ++poll) {
    Result<bool> r = watcher.Poll();
    if (!r.ok()) {
      std::fprintf(stderr, "poll %d: %s\n", poll, r.status().ToString().c_str());  // keep watching
    } else if (*r) {
      const forecast::Forecast& f = *watcher.latest();
      for (const auto& [path, why] : watcher.last_scan().skipped) std::fprintf(stderr, "skipped %s: %s\n", path.c_str(), why.c_str());
      if (a.json) {
        std::cout << forecast::ForecastToJson(f).dump() << "\n";
      } else {
        const std::string crossing = f.crossing == forecast::Curve::Crossing::kAt
                                         ? StrFormat("%.3g FLOPs", f.crossing_flops)
                                         : std::string(forecast::CrossingName(f.crossing));
        std::printf("poll %d: %zu points, P(score >= %g at %gx) = %.3f, central crossing: %s\n", poll,
                    f.observations.size(), f.options.threshold, f.options.buffer, f.crossing_probability,
                    crossing.c_str());
      }
      std::fflush(stdout);
    } else if (watcher.status() != last_status) {
      std::fprintf(stderr, "poll %d: %s\n", poll, watcher.status().c_str());
    }
    last_status = watcher.status();
    if (a.polls != 0 && poll == a.polls) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(a.interval));
  }
  if (watcher.latest() == nullptr) {
    std::fprintf(stderr, "no forecast: %s\n", watcher.status().c_str());
    throw ExitWith{1};
  }
}

}  // namespace

void RegisterForecast(CLI::App& app) {
  auto a = std::make_shared<ForecastArgs>();
  CLI::App* cmd = app.add_subcommand("forecast", "Fit scaling curves of an eval score against training compute; "
                                                 "threshold-crossing probability, back-tests, SVG");
  cmd->add_option("--log", a->logs, "An eval log (repeatable)");
  cmd->add_option("--logs", a->logs_dirs, "A directory of eval logs (*.jsonl, searched recursively; repeatable)");
  cmd->add_option("--points", a->points, "A CSV of points: label,flops,score[,stderr][,n]");
  cmd->add_option("--metric", a->metric, "The footer summary's metric (default: the log's own, e.g. accuracy)");
  cmd->add_option("--task", a->task, "Only logs of this task (needed when a directory holds several)");
  cmd->add_option("--flops", a->flops, "LABEL=FLOPS: a model's training compute, instead of its card (repeatable)");
  cmd->add_option("--floor", a->opt.floor, "Chance score, the sigmoid's floor (default 0.25)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--threshold", a->opt.threshold, "Capability threshold (default 0.8)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--buffer", a->opt.buffer, "Effective-compute buffer beyond the current compute (default 4)")
      ->check(Positive());
  cmd->add_option("--current-flops", a->opt.current_flops, "The current compute (default: the largest observed)")
      ->check(NonNegative());
  cmd->add_option("--bootstrap", a->opt.bootstrap, "Bootstrap refits (default 1000)")->check(NonNegative());
  cmd->add_option("--seed", a->opt.seed, "Bootstrap seed (default 1)")->check(NonNegative());
  cmd->add_option("--band", a->opt.band, "Central probability of the bands (default 0.90)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--svg", a->svg, "Write the plot here");
  cmd->add_option("--out", a->out, "Write the forecast as JSON here");
  cmd->add_option("--title", a->title, "Plot title (default: the task)");
  cmd->add_flag("--json", a->json, "Print the forecast as JSON (watch: one line per refit)");
  cmd->add_option("--watch", a->watch, "Poll this directory for new finished eval logs and refit");
  cmd->add_option("--polls", a->polls, "Watch: stop after N polls (default 0: never)")->check(NonNegative());
  cmd->add_option("--interval", a->interval, "Watch: seconds between polls (default 10)")->check(NonNegative());
  cmd->callback([a] {
    if (!a->watch.empty()) {
      RunWatch(*a);
    } else {
      RunOnce(*a);
    }
  });
}

}  // namespace warden::cli
