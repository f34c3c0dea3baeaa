// libFuzzer target for the safety-case parser and structure checks (include/warden/casebook/):
// any bytes must give a case or an error naming the source, never a crash, a hang or an
// exception; a parsed case must validate, evaluate (against a directory with no artifacts),
// hash and export without throwing, and its canonical hash must not depend on node order.
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "warden/casebook/evaluate.h"
#include "warden/casebook/render.h"
#include "warden/casebook/safety_case.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::casebook;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = ParseCase(text, "fuzz.yaml");
  if (!c.ok()) {
    warden::fuzz::Require(c.status().message().rfind("fuzz.yaml", 0) == 0);
    return 0;
  }
  warden::fuzz::Require(!c->nodes.empty());
  const StructureReport s = ValidateStructure(*c);
  warden::fuzz::Require(s.ok() == !s.root_id.empty() || !s.ok());
  // Evidence paths are relative (the parser refuses absolute ones) and resolve inside an empty
  // scratch directory, so nothing is read; paths climbing out with ".." are not followed here.
  static const std::string empty_dir = [] {
    char tmpl[] = "/tmp/safety-case-fuzz-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  for (const Node& n : c->nodes) {
    if (n.evidence.path.find("..") != std::string::npos) return 0;
  }
  auto e = EvaluateCase(*c, empty_dir);
  warden::fuzz::Require(e.ok());
  warden::fuzz::Require(e->nodes.size() == c->nodes.size());
  warden::fuzz::Require(e->valid() == s.ok());
  const std::string hash = CaseSha256(*c);
  SafetyCase reversed = *c;
  std::reverse(reversed.nodes.begin(), reversed.nodes.end());
  std::reverse(reversed.defeaters.begin(), reversed.defeaters.end());
  // Equal ids keep their relative order in the canonical form, so only unique ids commute.
  if (s.ok()) warden::fuzz::Require(CaseSha256(reversed) == hash);
  (void)ExportGsn2x(*c, &*e);
  return 0;
}
