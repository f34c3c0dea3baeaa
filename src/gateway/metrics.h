// Internal to gateway: the counters and histograms behind GET /metrics, rendered in the
// Prometheus text exposition format (version 0.0.4). Names use underscores and base units
// (seconds); every series is created on first use. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace warden::gateway {

class Metrics {
 public:
  // `labels` is the rendered label set without braces, e.g. route="/v1/chat/completions",code="200".
  void Add(const std::string& name, const std::string& labels, double value = 1);
  void Observe(const std::string& name, const std::string& labels, double seconds);
  // help: one line per metric family; type: "counter" | "histogram" | "gauge".
  void Describe(const std::string& name, const std::string& type, const std::string& help);
  // Families in name order; `extra` is appended as is (series computed at scrape time).
  std::string Render(const std::string& extra = "") const;

  static std::string Label(const std::string& key, const std::string& value);  // key="escaped value"

 private:
  struct Histogram {
    std::vector<double> counts;  // per bucket (cumulative at render time)
    double sum = 0;
    double count = 0;
  };
  static const std::vector<double>& Buckets();
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> help_;   // name -> (type, help)
  std::map<std::string, std::map<std::string, double>> counters_;     // name -> labels -> value
  std::map<std::string, std::map<std::string, Histogram>> histograms_;
};

}  // namespace warden::gateway
