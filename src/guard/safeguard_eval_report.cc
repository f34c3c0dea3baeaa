#include "warden/guard/safeguard_eval_report.h"

#include <cstdio>

#include "warden/base/html.h"

namespace warden::guard {
namespace {

constexpr double kLabelW = 230, kBarW = 420, kRowH = 22;

std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// One bar: the rate, its interval as a whisker, the figure written beside it.
void Bar(std::string* svg, double y, const std::string& label, double rate, Interval ci, size_t hits, size_t n,
         const char* colour) {
  const double x0 = kLabelW;
  *svg += "<text x=\"" + Num(x0 - 8) + "\" y=\"" + Num(y + 15) + "\" text-anchor=\"end\" font-size=\"12\">" + HtmlEscape(label) +
          "</text>";
  *svg += "<rect x=\"" + Num(x0) + "\" y=\"" + Num(y + 4) + "\" width=\"" + Num(kBarW * rate) + "\" height=\"14\" fill=\"" +
          colour + "\"/>";
  *svg += "<line x1=\"" + Num(x0 + kBarW * ci.low) + "\" x2=\"" + Num(x0 + kBarW * ci.high) + "\" y1=\"" + Num(y + 11) +
          "\" y2=\"" + Num(y + 11) + "\" stroke=\"#222\" stroke-width=\"1.5\"/>";
  char text[96];
  std::snprintf(text, sizeof text, "%.3f [%.3f, %.3f] (%zu of %zu)", rate, ci.low, ci.high, hits, n);
  *svg += "<text x=\"" + Num(x0 + kBarW + 8) + "\" y=\"" + Num(y + 15) + "\" font-size=\"12\">" + text + "</text>";
}

}  // namespace

std::string SafeguardEvalHtml(const std::string& title, const std::vector<SafeguardEvalResult>& results) {
  std::string body;
  for (const SafeguardEvalResult& r : results) {
    const int bars = r.harmful ? 3 : 2;
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(kLabelW + kBarW + 240) + "\" height=\"" +
                      Num(bars * kRowH + 28) + "\">";
    svg += "<line x1=\"" + Num(kLabelW) + "\" x2=\"" + Num(kLabelW) + "\" y1=\"0\" y2=\"" + Num(bars * kRowH) +
           "\" stroke=\"#888\"/>";
    svg += "<line x1=\"" + Num(kLabelW + kBarW) + "\" x2=\"" + Num(kLabelW + kBarW) + "\" y1=\"0\" y2=\"" + Num(bars * kRowH) +
           "\" stroke=\"#ccc\" stroke-dasharray=\"3,3\"/>";
    const double n = static_cast<double>(r.n);
    Bar(&svg, 0, "model refuses, unguarded", r.model_refused / n, WilsonInterval(r.model_refused, r.n), r.model_refused, r.n,
        "#9ab");
    Bar(&svg, kRowH, r.harmful ? "safeguards stop" : "safeguards stop (false)", r.stopped / n, r.stopped_ci, r.stopped, r.n,
        r.harmful ? "#4a8" : "#c64");
    if (r.harmful) {
      const double released = r.model_complied ? static_cast<double>(r.complied_and_released) / static_cast<double>(r.model_complied) : 0;
      Bar(&svg, 2 * kRowH, "answered and released", released, r.released_ci, r.complied_and_released, r.model_complied, "#c33");
    }
    svg += "<text x=\"" + Num(kLabelW) + "\" y=\"" + Num(bars * kRowH + 18) + "\" font-size=\"11\" fill=\"#555\">0</text>";
    svg += "<text x=\"" + Num(kLabelW + kBarW) + "\" y=\"" + Num(bars * kRowH + 18) +
           "\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">1</text></svg>";
    body += "<h2>" + HtmlEscape(r.path) + (r.harmful ? " (harmful requests)" : " (benign requests)") + "</h2>\n";
    body += "<p>blocked at input " + std::to_string(r.blocked) + ", cut at output " + std::to_string(r.cut) +
            ", failed closed " + std::to_string(r.errors) + "; Wilson 95% intervals</p>\n" + svg + "\n";
  }
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>warden serve eval</title>"
         "<style>body{font-family:sans-serif;margin:2em;max-width:60em}h2{font-size:1.05em;margin-top:1.6em}</style>"
         "</head><body><h1>What the safeguards stop that the model does not refuse</h1><p>" +
         HtmlEscape(title) + "</p>\n" + body + "</body></html>\n";
}

}  // namespace warden::guard
