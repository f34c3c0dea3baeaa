#include "gateway/metrics.h"

#include <algorithm>
#include <cstdio>

namespace warden::gateway {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string WithLabels(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : name + "{" + labels + "}";
}

}  // namespace

const std::vector<double>& Metrics::Buckets() {
  // Seconds: from 0.5 ms (a per-token step of a tiny model) to 2 minutes (a long generation).
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,   0.5,   1,      2.5,   5,    10,    30,    120};
  return b;
}

std::string Metrics::Label(const std::string& key, const std::string& value) {
  std::string v;
  for (char c : value) {
    if (c == '\\' || c == '"') v += '\\', v += c;
    else if (c == '\n') v += "\\n";
    else v += c;
  }
  return key + "=\"" + v + "\"";
}

void Metrics::Describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  help_[name] = {type, help};
}

void Metrics::Add(const std::string& name, const std::string& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_[name][labels] += value;
}

void Metrics::Observe(const std::string& name, const std::string& labels, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = histograms_[name][labels];
  if (h.counts.empty()) h.counts.assign(Buckets().size(), 0);
  for (size_t i = 0; i < Buckets().size(); ++i) {
    if (seconds <= Buckets()[i]) {
      h.counts[i] += 1;
      break;
    }
  }
  h.sum += seconds;
  h.count += 1;
}

std::string Metrics::Render(const std::string& extra) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  auto header = [&](const std::string& name, const char* fallback_type) {
    auto it = help_.find(name);
    out += "# HELP " + name + " " + (it != help_.end() ? it->second.second : name) + "\n";
    out += "# TYPE " + name + " " + (it != help_.end() ? it->second.first : std::string(fallback_type)) + "\n";
  };
  for (const auto& [name, series] : counters_) {
    header(name, "counter");
    for (const auto& [labels, v] : series) out += WithLabels(name, labels) + " " + Num(v) + "\n";
  }
  for (const auto& [name, series] : histograms_) {
    header(name, "histogram");
    for (const auto& [labels, h] : series) {
      const std::string sep = labels.empty() ? "" : labels + ",";
      double cumulative = 0;
      for (size_t i = 0; i < Buckets().size(); ++i) {
        cumulative += h.counts[i];
        out += name + "_bucket{" + sep + "le=\"" + Num(Buckets()[i]) + "\"} " + Num(cumulative) + "\n";
      }
      out += name + "_bucket{" + sep + "le=\"+Inf\"} " + Num(h.count) + "\n";
      out += WithLabels(name + "_sum", labels) + " " + Num(h.sum) + "\n";
      out += WithLabels(name + "_count", labels) + " " + Num(h.count) + "\n";
    }
  }
  return out + extra;
}

}  // namespace warden::gateway
