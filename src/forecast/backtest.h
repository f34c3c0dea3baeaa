// Internal to the forecast module: back-tests (forecast.h, step 4).
#pragma once

#include <vector>

#include "warden/forecast/forecast.h"

namespace warden::forecast::internal {

// `obs` sorted by flops, each stderr_score already the effective one (> 0).
std::vector<Backtest> RunBacktests(const std::vector<Observation>& obs, const ForecastOptions& opt,
                                   const std::vector<CurveKind>& kinds);

// The x (log10 flops), y, s arrays of `obs`.
FitData DataOf(const std::vector<Observation>& obs);

}  // namespace warden::forecast::internal
