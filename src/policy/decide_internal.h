// Internal to the policy module: the decision on evidence already checked, so that Explain can
// try changed values without re-reading or re-hashing files.
#pragma once

#include <string>

#include "warden/policy/decision.h"

namespace warden::policy::internal {

// Numbers in the module's messages are written with warden::Sig: 4 significant digits, except
// Explain's trial values (6, so that a value just below a threshold does not print as it).

// Whether a usable item meets a requirement's condition: at_least is judged on the lower end of
// the item's interval, at_most on the upper end (a bound must hold with confidence).
bool Meets(const Condition& c, const EvidenceItem& item);

DecisionRecord DecideChecked(const Policy& policy, const EvidenceBundle& evidence, const CheckedEvidence& checked,
                             const CheckOptions& options, const std::string& evidence_sha256);

}  // namespace warden::policy::internal
