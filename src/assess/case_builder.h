// Internal to assess: the safety case compiled for one subject, in casebook's YAML.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "warden/policy/decision.h"

namespace warden::assess::internal {

// Where the safety case reads one evidence key: a file under the subject's directory, which
// record of it (casebook's "document" or "footer"), and a JSON pointer.
struct CasePointer {
  std::string path, record = "document", selector;
  std::string good_condition = "== true";  // for booleans: what the selected value is when the key is true
  std::string describe;  // "refusal rate on held-out harmful requests 1.000 [0.990, 1.000]"
};

struct CaseInputs {
  std::string subject, model_dir, model_sha256;
  const policy::Policy* policy = nullptr;
  const policy::DecisionRecord* decision = nullptr;
  std::map<std::string, CasePointer> pointers;  // by evidence key
  bool has_forecast = false;                    // forecast-hazard.json in the subject's directory
  std::string forecast_summary;
  std::string dir;  // the subject's directory, where the case is written and paths resolve
};

// The case as YAML text: a root goal that the decision is justified, a strategy over the
// decision record, each risk domain, the evaluation's integrity, each required safeguard and the
// threats this assessment does not examine (left undeveloped, so the case cannot claim them).
// Every solution pins its artifact's current sha256. Errors: an artifact cannot be hashed.
Result<std::string> BuildCaseYaml(const CaseInputs& in);

}  // namespace warden::assess::internal
