// The forecast for people: an SVG picture (self-contained: no scripts, no external fonts) and
// plain-text tables.
#pragma once

#include <string>

#include "warden/forecast/forecast.h"

namespace warden::forecast {

// Score against training compute on a log axis (ticks at powers of ten, and at 2x and 5x when the
// range spans under three decades): the points with +-1 standard-error bars, the primary
// (sigmoid) fit with its band, the other fits dashed, the threshold as a horizontal line, and the
// buffer (current compute to current x buffer) as a shaded strip. `title` is escaped.
std::string ForecastSvg(const Forecast& f, const std::string& title);

}  // namespace warden::forecast

namespace warden::forecast {

// The forecast as plain-text tables for a terminal: the points, each fit's parameters and
// residual error, the forecast at the target compute, the back-tests, the crossing figures and
// the notes. Ends with a newline.
std::string ForecastText(const Forecast& f);

}  // namespace warden::forecast
