// ForecastSvg (plot.h): hand-written SVG.
#include "warden/forecast/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "warden/base/format.h"
#include "warden/base/html.h"

namespace warden::forecast {
namespace {

constexpr double kWidth = 760, kHeight = 460;
constexpr double kLeft = 64, kRight = 170, kTop = 44, kBottom = 56;  // margins; legend on the right
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

const char* Colour(CurveKind k) {
  switch (k) {
    case CurveKind::kSigmoid: return "#1f5fa8";
    case CurveKind::kSigmoidCeil1: return "#2e8b57";
    case CurveKind::kLinear: return "#b8860b";
  }
  return "#444";
}

struct Axes {
  double x_lo, x_hi;  // log10 FLOPs
  double X(double x) const { return kLeft + (x - x_lo) / (x_hi - x_lo) * kPlotW; }
  double Y(double score) const { return kTop + (1.0 - std::clamp(score, 0.0, 1.0)) * kPlotH; }
};

std::string TickLabel(int mantissa, int exponent) {
  std::string s = mantissa == 1 ? "" : std::to_string(mantissa) + "\u00d7";
  return s + "10<tspan dy=\"-6\" font-size=\"9\">" + std::to_string(exponent) + "</tspan>";
}

void XTicks(const Axes& a, std::string* svg) {
  const bool fine = a.x_hi - a.x_lo < 3.0;
  for (int e = static_cast<int>(std::floor(a.x_lo)); e <= static_cast<int>(std::ceil(a.x_hi)); ++e) {
    for (int m : {1, 2, 5}) {
      if (m != 1 && !fine) continue;
      const double x = e + std::log10(static_cast<double>(m));
      if (x < a.x_lo || x > a.x_hi) continue;
      const double px = a.X(x);
      *svg += "<line x1=\"" + Fixed(px, 1) + "\" y1=\"" + Fixed(kTop, 1) + "\" x2=\"" + Fixed(px, 1) + "\" y2=\"" + Fixed(kTop + kPlotH, 1) +
              "\" stroke=\"#e4e4e4\"/>\n";
      *svg += "<text x=\"" + Fixed(px, 1) + "\" y=\"" + Fixed(kTop + kPlotH + 18, 1) + "\" text-anchor=\"middle\" font-size=\"11\">" +
              TickLabel(m, e) + "</text>\n";
    }
  }
  *svg += "<text x=\"" + Fixed(kLeft + kPlotW / 2, 1) + "\" y=\"" + Fixed(kHeight - 12, 1) +
          "\" text-anchor=\"middle\" font-size=\"12\">training compute (FLOPs, log scale)</text>\n";
}

void YTicks(const Axes& a, std::string* svg) {
  for (int i = 0; i <= 5; ++i) {
    const double s = i / 5.0, py = a.Y(s);
    *svg += "<line x1=\"" + Fixed(kLeft, 1) + "\" y1=\"" + Fixed(py, 1) + "\" x2=\"" + Fixed(kLeft + kPlotW, 1) + "\" y2=\"" + Fixed(py, 1) +
            "\" stroke=\"#e4e4e4\"/>\n";
    const std::string label = Fixed(s, 1);
    *svg += "<text x=\"" + Fixed(kLeft - 6, 1) + "\" y=\"" + Fixed(py + 4, 1) + "\" text-anchor=\"end\" font-size=\"11\">" + label +
            "</text>\n";
  }
  *svg += "<text transform=\"translate(16," + Fixed(kTop + kPlotH / 2, 1) +
          ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">score</text>\n";
}

std::string Polyline(const Axes& a, const std::vector<BandPoint>& band, double BandPoint::*field) {
  std::string pts;
  for (const BandPoint& p : band) pts += Fixed(a.X(p.log10_flops), 1) + "," + Fixed(a.Y(p.*field), 1) + " ";
  return pts;
}

void LegendEntry(int row, const std::string& swatch, const std::string& text, std::string* svg) {
  const double x = kLeft + kPlotW + 14, y = kTop + 8 + row * 20;
  *svg += "<g transform=\"translate(" + Fixed(x, 1) + "," + Fixed(y, 1) + ")\">" + swatch + "<text x=\"28\" y=\"4\" font-size=\"11\">" +
          HtmlEscape(text) + "</text></g>\n";
}

}  // namespace

std::string ForecastSvg(const Forecast& f, const std::string& title) {
  const FitResult* primary = f.fits.empty() ? nullptr : &f.fits[0];
  Axes a{0, 1};
  if (primary != nullptr && primary->band.size() >= 2) {
    a.x_lo = primary->band.front().log10_flops;
    a.x_hi = primary->band.back().log10_flops;
  } else if (!f.observations.empty()) {
    a.x_lo = std::log10(f.observations.front().flops) - 0.5;
    a.x_hi = std::log10(std::max(f.target_flops, f.observations.back().flops)) + 0.5;
  }
  if (!(a.x_hi > a.x_lo)) a.x_hi = a.x_lo + 1;

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Fixed(kWidth, 1) + "\" height=\"" + Fixed(kHeight, 1) +
                    "\" viewBox=\"0 0 " + Fixed(kWidth, 1) + " " + Fixed(kHeight, 1) + "\" font-family=\"sans-serif\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + Fixed(kLeft, 1) + "\" y=\"24\" font-size=\"14\" font-weight=\"bold\">" + HtmlEscape(title) + "</text>\n";

  // The buffer: from current compute to current x buffer.
  const double bx0 = a.X(std::log10(f.current_flops)), bx1 = a.X(std::log10(f.target_flops));
  svg += "<rect x=\"" + Fixed(bx0, 1) + "\" y=\"" + Fixed(kTop, 1) + "\" width=\"" + Fixed(std::max(bx1 - bx0, 1.0), 1) + "\" height=\"" +
         Fixed(kPlotH, 1) + "\" fill=\"#f3e6c4\" opacity=\"0.7\"/>\n";
  XTicks(a, &svg);
  YTicks(a, &svg);
  svg += "<rect x=\"" + Fixed(kLeft, 1) + "\" y=\"" + Fixed(kTop, 1) + "\" width=\"" + Fixed(kPlotW, 1) + "\" height=\"" + Fixed(kPlotH, 1) +
         "\" fill=\"none\" stroke=\"#888\"/>\n";

  int row = 0;
  if (primary != nullptr && !primary->band.empty()) {
    // Band: the upper edge left to right, then the lower edge back.
    std::string pts = Polyline(a, primary->band, &BandPoint::high);
    for (auto it = primary->band.rbegin(); it != primary->band.rend(); ++it) {
      pts += Fixed(a.X(it->log10_flops), 1) + "," + Fixed(a.Y(it->low), 1) + " ";
    }
    svg += "<polygon points=\"" + pts + "\" fill=\"" + Colour(primary->fit.curve.kind) + "\" opacity=\"0.18\"/>\n";
    const std::string band_label = StrFormat("%.0f%% band (%s)", f.options.band * 100,
                                             CurveKindName(primary->fit.curve.kind));
    LegendEntry(row++, std::string("<rect x=\"0\" y=\"-5\" width=\"22\" height=\"10\" fill=\"") +
                           Colour(primary->fit.curve.kind) + "\" opacity=\"0.18\"/>",
                band_label, &svg);
  }
  for (size_t i = 0; i < f.fits.size(); ++i) {
    const FitResult& r = f.fits[i];
    const std::string dash = i == 0 ? "" : " stroke-dasharray=\"6 4\"";
    svg += "<polyline points=\"" + Polyline(a, r.band, &BandPoint::central) + "\" fill=\"none\" stroke=\"" +
           Colour(r.fit.curve.kind) + "\" stroke-width=\"" + (i == 0 ? "2.2" : "1.5") + "\"" + dash + "/>\n";
    LegendEntry(row++, std::string("<line x1=\"0\" y1=\"0\" x2=\"22\" y2=\"0\" stroke=\"") + Colour(r.fit.curve.kind) +
                           "\" stroke-width=\"2\"" + dash + "/>",
                std::string(CurveKindName(r.fit.curve.kind)) + " fit", &svg);
  }

  const double ty = a.Y(f.options.threshold);
  svg += "<line x1=\"" + Fixed(kLeft, 1) + "\" y1=\"" + Fixed(ty, 1) + "\" x2=\"" + Fixed(kLeft + kPlotW, 1) + "\" y2=\"" + Fixed(ty, 1) +
         "\" stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n";
  const std::string threshold_label = StrFormat("threshold %.2f", f.options.threshold);
  LegendEntry(row++, "<line x1=\"0\" y1=\"0\" x2=\"22\" y2=\"0\" stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>",
              threshold_label, &svg);
  const std::string buffer_label = StrFormat("buffer %gx compute", f.options.buffer);
  LegendEntry(row++, "<rect x=\"0\" y=\"-5\" width=\"22\" height=\"10\" fill=\"#f3e6c4\"/>", buffer_label, &svg);

  for (const Observation& o : f.observations) {
    const double px = a.X(std::log10(o.flops));
    svg += "<g><title>" + HtmlEscape(o.label) + "</title>";
    svg += "<line x1=\"" + Fixed(px, 1) + "\" y1=\"" + Fixed(a.Y(o.score - o.stderr_score), 1) + "\" x2=\"" + Fixed(px, 1) + "\" y2=\"" +
           Fixed(a.Y(o.score + o.stderr_score), 1) + "\" stroke=\"#222\"/>";
    svg += "<circle cx=\"" + Fixed(px, 1) + "\" cy=\"" + Fixed(a.Y(o.score), 1) + "\" r=\"3.5\" fill=\"#222\"/></g>\n";
  }
  LegendEntry(row++, "<circle cx=\"11\" cy=\"0\" r=\"3.5\" fill=\"#222\"/>", "points (\u00b11 s.e.)", &svg);

  const std::string p_label = StrFormat("P(cross in buffer) = %.2f", f.crossing_probability);
  svg += "<text x=\"" + Fixed(kLeft + kPlotW + 14, 1) + "\" y=\"" + Fixed(kTop + 8 + (row + 1) * 20, 1) + "\" font-size=\"11\">" +
         p_label + "</text>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace warden::forecast
