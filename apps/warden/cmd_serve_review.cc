// warden serve reviewers | review: the human side of the audit queue (guard/audit.h; the pages
// are served by `warden serve` at /review).
//   warden serve reviewers add NAME [--password-file F]   (else the first line of standard input)
//   warden serve reviewers list
//   warden serve review report [--safeguards F]           each stage's precision; the sampled estimate
//   warden serve review labels > labels.jsonl             verdicts as labelled JSONL (warden probe train)
// All take --store (default serve.db).
#include <iostream>

#include "cli.h"
#include "warden/base/file.h"
#include "warden/guard/audit.h"
#include "warden/guard/safeguards.h"
#include "warden/store/store.h"

namespace warden::cli {
namespace {

std::unique_ptr<store::Store> Open(const std::string& path) { return store::Store::Open(path).ValueOrThrow(); }

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
  add->add_option("--store", *store_path, "Store (default serve.db)");
  add->callback([=] {
    Open(*store_path)->AddReviewer(*name, ReadPassword(*password_file)).ThrowIfError();
    std::cout << "reviewer " << *name << " created\n";
  });
  CLI::App* list = reviewers->add_subcommand("list", "List reviewers");
  list->add_option("--store", *store_path, "Store (default serve.db)");
  list->callback([=] {
    for (const std::string& n : Open(*store_path)->Reviewers().ValueOrThrow()) std::cout << n << "\n";
  });

  CLI::App* review = serve.add_subcommand("review", "What the reviewers' verdicts measure");
  review->require_subcommand(1);
  auto safeguards = std::make_shared<std::string>();
  CLI::App* report = review->add_subcommand("report", "Each stage's precision and the estimate of harmful allowed traffic");
  report->add_option("--safeguards", *safeguards, "The safeguards file whose audit section sampled the traffic");
  report->add_option("--store", *store_path, "Store (default serve.db)");
  report->callback([=] {
    guard::AuditSpec spec;
    if (!safeguards->empty()) spec = guard::LoadSafeguards(*safeguards).ValueOrThrow().audit;
    guard::ReviewReport r = guard::BuildReviewReport(*Open(*store_path), spec).ValueOrThrow();
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
  });
  CLI::App* labels = review->add_subcommand("labels", "Print the verdicts as labelled JSONL for warden probe train");
  labels->add_option("--store", *store_path, "Store (default serve.db)");
  labels->callback([=] { std::cout << guard::LabelledJsonl(*Open(*store_path)).ValueOrThrow(); });
}

}  // namespace warden::cli
