#include "warden/guard/safeguard_eval_report.h"

#include <gtest/gtest.h>

namespace warden::guard {
namespace {

TEST(SafeguardEvalHtml, DrawsOneChartPerDatasetWithItsFiguresAndEscapesNames) {
  SafeguardEvalResult harmful;
  harmful.path = "refusal<held-out>.jsonl";
  harmful.harmful = true;
  harmful.n = 10, harmful.model_refused = 2, harmful.stopped = 5, harmful.blocked = 4, harmful.cut = 1;
  harmful.model_complied = 8, harmful.complied_and_released = 3;
  harmful.stopped_ci = WilsonInterval(5, 10);
  harmful.released_ci = WilsonInterval(3, 8);
  SafeguardEvalResult benign = harmful;
  benign.path = "over-refusal.jsonl";
  benign.harmful = false;
  const std::string html = SafeguardEvalHtml("tiny & co", {harmful, benign});
  EXPECT_NE(html.find("refusal&lt;held-out&gt;.jsonl"), std::string::npos);
  EXPECT_NE(html.find("tiny &amp; co"), std::string::npos);
  size_t svgs = 0;
  for (size_t at = 0; (at = html.find("<svg ", at)) != std::string::npos; ++at) ++svgs;
  EXPECT_EQ(svgs, 2u);
  EXPECT_NE(html.find("0.500 ["), std::string::npos);             // stopped 5 of 10
  EXPECT_NE(html.find("(3 of 8)"), std::string::npos);            // released of answered
  EXPECT_NE(html.find("safeguards stop (false)"), std::string::npos);
}

}  // namespace
}  // namespace warden::guard
