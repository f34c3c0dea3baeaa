// warden serve reviewers | review: the human side of the audit queue (guard/audit.h; the pages
// are served by `warden serve` at /review).
//   warden serve reviewers add NAME [--password-file F]   (else the first line of standard input)
//   warden serve reviewers list
//   warden serve review report [--safeguards F]           each stage's precision; the sampled estimate
//   warden serve review labels > labels.jsonl             verdicts as labelled JSONL (warden probe train)
//   warden serve review calibrate --budget B --requests-per-day N [--sample-share 0.3]
//                                                          an audit section sized to a budget, from recorded traffic
//   warden serve review queue                              the open items, highest risk first
//   warden serve review verdict SEQ --reviewer NAME --label L [--category S9] [--note T]
//                                                          a verdict from a script (the pages are for people)
// All take --store (default serve.db).
#include <algorithm>
#include <iostream>

#include "cli.h"
#include "warden/base/file.h"
#include "warden/guard/audit.h"
#include "warden/guard/safeguards.h"

namespace warden::cli {
namespace {

std::string ReadPassword(const std::string& file) {
  std::string line;
  if (!file.empty()) {
    line = ReadFileToString(file).ValueOrThrow();
  } else {
    std::getline(std::cin, line);
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

void RegisterServeReview(CLI::App& serve) {
  auto store_path = std::make_shared<std::string>("serve.db");
  CLI::App* reviewers = serve.add_subcommand("reviewers", "Manage reviewer accounts for the /review pages");
  reviewers->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto password_file = std::make_shared<std::string>();
  CLI::App* add = reviewers->add_subcommand("add", "Create a reviewer; the password comes from --password-file or standard input");
  add->add_option("NAME", *name, "Reviewer name ([A-Za-z0-9._-], at most 64)")->required();
  add->add_option("--password-file", *password_file, "File whose first line is the password (at least 12 characters)");
  add->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  add->callback([=] {
    OpenStore(*store_path)->AddReviewer(*name, ReadPassword(*password_file)).ThrowIfError();
    std::cout << "reviewer " << *name << " created\n";
  });
  CLI::App* list = reviewers->add_subcommand("list", "List reviewers");
  list->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  list->callback([=] {
    for (const std::string& n : OpenStore(*store_path)->Reviewers().ValueOrThrow()) std::cout << n << "\n";
  });

  CLI::App* review = serve.add_subcommand("review", "What the reviewers' verdicts measure");
  review->require_subcommand(1);
  auto safeguards = std::make_shared<std::string>();
  CLI::App* report = review->add_subcommand("report", "Each stage's precision and the estimate of harmful allowed traffic");
  report->add_option("--safeguards", *safeguards, "The safeguards file whose audit section sampled the traffic");
  report->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  report->callback([=] {
    guard::AuditSpec spec;
    if (!safeguards->empty()) spec = guard::LoadSafeguards(*safeguards).ValueOrThrow().audit;
    guard::ReviewReport r = guard::BuildReviewReport(*OpenStore(*store_path), spec).ValueOrThrow();
    std::cout << r.records << " records, " << r.queued << " queued (" << r.open << " open, " << r.reviewed << " reviewed)\n";
    for (const guard::StagePrecision& p : r.stages) {
      std::cout << "  precision " << p.stage << ": " << p.precision << " [" << p.interval.low << ", " << p.interval.high
                << "] (" << p.harmful << " harmful, " << p.benign << " benign, " << p.unsure << " unsure)\n";
    }
    for (const guard::SampledBand& b : r.bands) {
      std::cout << "  band " << b.band << " (rate " << b.rate << "): " << b.allowed << " allowed, " << b.reviewed
                << " reviewed, " << b.harmful << " harmful, " << b.unsure << " unsure\n";
    }
    if (r.harmful_allowed_share) {
      std::cout << "  harmful share of allowed traffic: " << *r.harmful_allowed_share << " [" << r.harmful_allowed_interval.low
                << ", " << r.harmful_allowed_interval.high << "] over " << r.covered_allowed << " records\n";
    } else {
      std::cout << "  harmful share of allowed traffic: no sampled verdicts yet\n";
    }
    if (r.allowed_unsampled > 0) std::cout << "  " << r.allowed_unsampled << " allowed records below every band (not covered)\n";
    if (r.user_reviewed > 0) {
      std::cout << "  " << r.user_reviewed << " verdicts on items queued for their user's risk (not in the figures above)\n";
    }
  });
  struct Calibrate {
    double budget = 0, per_day = 0, share = 0.3;
  };
  auto cal = std::make_shared<Calibrate>();
  CLI::App* calibrate = review->add_subcommand("calibrate", "Size the audit section to a daily budget from recorded traffic");
  calibrate->add_option("--budget", cal->budget, "Items a day the reviewers can judge")->required()->check(CLI::PositiveNumber);
  calibrate->add_option("--requests-per-day", cal->per_day, "Requests a day the gateway serves")->required()->check(CLI::PositiveNumber);
  calibrate->add_option("--sample-share", cal->share, "Share of the budget for the random sample of allowed traffic (default 0.3)")
      ->check(CLI::Range(0.0, 0.99));
  calibrate->add_option("--store", *store_path, "Store with the recorded traffic (default serve.db)");
  calibrate->callback([=] {
    auto records = OpenStore(*store_path)->Records().ValueOrThrow();
    guard::AuditCalibration c = guard::CalibrateAudit(records, cal->budget, cal->per_day, cal->share).ValueOrThrow();
    std::cerr << "calibrated on " << c.records << " records: expected " << c.risk_per_day << " risk items and "
              << c.sample_per_day << " sampled items a day (budget " << cal->budget << ")\n";
    std::cout << guard::AuditYaml(c.spec);
  });
  CLI::App* queue = review->add_subcommand("queue", "List the open items, highest risk first (seq, reason, risk)");
  queue->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  queue->callback([=] {
    for (const store::AuditItem& i : OpenStore(*store_path)->Queue(/*open_only=*/true, -1).ValueOrThrow()) {
      std::cout << i.seq << "\t" << i.reason << (i.stratum.empty() ? "" : ":" + i.stratum) << "\t" << i.priority << "\n";
    }
  });
  auto verdict = std::make_shared<store::Verdict>();
  CLI::App* give = review->add_subcommand("verdict", "Give a verdict on a queued record");
  give->add_option("SEQ", verdict->seq, "The record's seq")->required();
  give->add_option("--reviewer", verdict->reviewer, "Who judged it (a reviewer account)")->required();
  give->add_option("--label", verdict->label, "harmful | benign | unsure")->required();
  give->add_option("--category", verdict->category, "Hazard category S1-S14 (harmful only)");
  give->add_option("--note", verdict->note, "A note");
  give->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  give->callback([=] {
    auto s = OpenStore(*store_path);
    auto known = s->Reviewers().ValueOrThrow();
    if (std::find(known.begin(), known.end(), verdict->reviewer) == known.end()) {
      throw Error(Status::InvalidArgument("--reviewer: no reviewer '" + verdict->reviewer + "' (warden serve reviewers add)"));
    }
    store::Verdict v = *verdict;
    s->SubmitVerdict(&v).ThrowIfError();
    std::cout << "record " << v.seq << ": " << v.label << (v.category.empty() ? "" : " " + v.category) << "\n";
  });
  CLI::App* labels = review->add_subcommand("labels", "Print the verdicts as labelled JSONL for warden probe train");
  labels->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  labels->callback([=] { std::cout << guard::LabelledJsonl(*OpenStore(*store_path)).ValueOrThrow(); });
}

}  // namespace warden::cli
