// Internal to gateway: the reviewer's pages as HTML strings (review_pages.cc). Every value that
// came from a request or a record is escaped (HtmlEscape); the pages need no script.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "warden/guard/audit.h"
#include "warden/store/store.h"

namespace warden::gateway {

// Who is looking, for the page's header (empty reviewer: logged out).
struct Viewer {
  std::string reviewer;
  std::string csrf;
};

std::string LoginPage(const std::string& message);
std::string QueuePage(const Viewer& v, const std::vector<store::AuditItem>& open,
                      const std::vector<store::DecisionRecord>& records, int64_t reviewed);
std::string ItemPage(const Viewer& v, const store::AuditItem& item, const store::DecisionRecord& record,
                     const std::optional<store::Verdict>& verdict, const std::string& message);
std::string StatsPage(const Viewer& v, const guard::ReviewReport& report, const guard::AuditSpec& spec);
// A short page for an error (bad form, item already reviewed, ...).
std::string MessagePage(const Viewer& v, const std::string& title, const std::string& message);

}  // namespace warden::gateway
