// Internal to assess: scoring the blue-team analysis against the zoo's ground truth.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/assess/assess.h"

namespace warden::assess::internal {

// Reads each assessed organism's card.json (<zoo>/<organism>/card.json; the ladder's rungs share
// <zoo>/ladder/card.json) and compares what the card plants with what the assessment found. The
// assessment's one detector is the sandbagging check: it agrees with a card when it flags exactly
// the organisms with a planted password (a flag elsewhere is a false positive, said so). Planted
// behaviours the assessment does not examine (a trigger, instructed lying) are listed as expected
// misses. Returns {"organisms": [{organism, subject, card: {behaviour, planted}, found, agree,
// not_examined, expected_miss, note}], "agree": n, "disagree": n, "expected_misses": n}.
Result<nlohmann::json> AuditAgainstCards(const std::string& zoo_dir, const std::vector<SubjectResult>& subjects);

}  // namespace warden::assess::internal
