// Numbers as text, one way everywhere: reports, logs, error messages and SVG coordinates.
#pragma once

#include <string>

namespace warden {

// printf into a std::string of any length (the format is checked by the compiler).
std::string StrFormat(const char* format, ...) __attribute__((format(printf, 1, 2)));
// The same, appended to *out.
void StrAppendFormat(std::string* out, const char* format, ...) __attribute__((format(printf, 2, 3)));

// `digits` after the point: Fixed(0.89551) == "0.896", Fixed(3.0, 1) == "3.0".
std::string Fixed(double v, int digits = 3);

// `digits` significant digits, shortest form ("%.*g"): Sig(0.000123456) == "0.0001235",
// Sig(2.5e21) == "2.5e+21". Thresholds, FLOPs and policy values are printed this way.
std::string Sig(double v, int digits = 4);

// A figure and its interval: "0.896 [0.821, 0.970]".
std::string WithInterval(double value, double low, double high, int digits = 3);

}  // namespace warden
