// Shared by the forecast tests: synthetic points from a known curve, temp dirs, eval logs.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "warden/base/file.h"
#include "warden/base/rng.h"
#include "warden/forecast/forecast.h"

namespace warden::forecast::testing {

// A standard normal draw from warden's Rng (Box-Muller), for test noise.
inline double Normal(Rng& rng) {
  const double u1 = (static_cast<double>(rng.Next() >> 11) + 0.5) / 9007199254740992.0;
  const double u2 = (static_cast<double>(rng.Next() >> 11) + 0.5) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Points at log10 FLOPs `xs` on `truth`, plus N(0, se^2) noise when rng != nullptr (clamped to [0, 1]).
inline std::vector<Observation> PointsOn(const Curve& truth, const std::vector<double>& xs, double se, Rng* rng) {
  std::vector<Observation> out;
  for (size_t i = 0; i < xs.size(); ++i) {
    Observation o;
    o.label = "p" + std::to_string(i);
    o.flops = std::pow(10.0, xs[i]);
    o.score = truth.Predict(xs[i]) + (rng != nullptr ? se * Normal(*rng) : 0.0);
    o.score = std::fmin(1.0, std::fmax(0.0, o.score));
    o.stderr_score = se;
    out.push_back(o);
  }
  return out;
}

inline Curve Sigmoid(double floor, double ceiling, double k, double x0) {
  Curve c;
  c.kind = CurveKind::kSigmoid;
  c.floor = floor;
  c.ceiling = ceiling;
  c.k = k;
  c.x0 = x0;
  return c;
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    path_ = (std::filesystem::temp_directory_path() /
             ("warden_forecast_" + name + "_" + std::to_string(::getpid()) + "_" +
              std::to_string(reinterpret_cast<uintptr_t>(this))))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// An eval log in evals/eval_log.h's format: header, `samples` sample lines, and a footer with
// summary.metrics.accuracy when `finished`.
inline std::string EvalLogText(const std::string& task, const std::string& model, double accuracy, double se,
                               bool finished, int samples = 3) {
  using Json = nlohmann::json;
  std::string text = Json{{"type", "header"},
                          {"format", "warden-eval-log/1"},
                          {"task", task},
                          {"metric", "accuracy"},
                          {"model", {{"kind", "engine"}, {"name", model}, {"sha256", "00"}, {"detail", ""}}}}
                         .dump() +
                     "\n";
  for (int i = 0; i < samples; ++i) {
    text += Json{{"type", "sample"}, {"id", std::to_string(i)}, {"epoch", 0}, {"score", i % 2}}.dump() + "\n";
  }
  if (finished) {
    Json est = {{"value", accuracy}, {"stderr", se}, {"n", 50}, {"ci_low", 0}, {"ci_high", 1}};
    text += Json{{"type", "footer"},
                 {"finished", "2026-01-01T00:00:00Z"},
                 {"summary", {{"task", task}, {"model", model}, {"metrics", {{"accuracy", est}}}}}}
                .dump() +
            "\n";
  }
  return text;
}

}  // namespace warden::forecast::testing
