// warden case validate|render|keygen|sign|verify|export: safety cases (docs/casebook.md).
//   validate  structure, evidence (hash, selector, condition) and defeat propagation; exit 1
//             unless the case is valid and its root goal supported
//   render    one HTML page (graph as inline SVG, evidence and sign-off tables); --svg too
//   keygen    an Ed25519 key pair: NAME.key (mode 0600) and NAME.pub
//   sign      sign the case and its evidence as author, stress-tester or adjudicator
//   verify    re-hash everything and check the three sign-offs; exit 1 with a reason per failure
//   export    gsn2x input YAML
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "flags.h"
#include "warden/base/file.h"
#include "warden/casebook/evaluate.h"
#include "warden/casebook/render.h"
#include "warden/casebook/signoff.h"

namespace warden::cli {
namespace {

using Json = nlohmann::json;
namespace cb = casebook;

std::string Dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace); }

struct Loaded {
  cb::SafetyCase c;
  cb::CaseEvaluation e;
};

Loaded Load(const std::string& path) {
  Loaded l{cb::LoadCase(path).ValueOrThrow(), {}};
  l.e = cb::EvaluateCase(l.c, cb::CaseBaseDir(path)).ValueOrThrow();
  return l;
}

void PrintEvaluation(const Loaded& l) {
  const cb::CaseEvaluation& e = l.e;
  std::printf("case %s v%s (%s)\n", l.c.info.id.c_str(), l.c.info.version.c_str(), l.c.info.title.c_str());
  std::printf("canonical sha256 %s\n", e.case_sha256.c_str());
  for (const auto& m : e.errors) std::printf("error: %s\n", m.c_str());
  for (const auto& m : e.warnings) std::printf("warning: %s\n", m.c_str());
  for (const auto& n : e.nodes) {
    std::printf("  %-12s %-13s %s\n", n.id.c_str(), cb::NodeTypeName(n.type), cb::NodeStatusName(n.status));
    for (const auto& r : n.reasons) std::printf("      %s\n", Printable(r).c_str());
  }
  for (const auto& ev : e.evidence) {
    const std::string value = ev.value ? ev.value->dump(-1, ' ', false, Json::error_handler_t::replace) : "-";
    std::printf("  evidence %-8s %-10s %s %s%s %s value=%s\n", ev.node_id.c_str(), cb::EvidenceStateName(ev.state),
                ev.evidence.path.c_str(), ev.evidence.record == cb::RecordKind::kDocument ? "" : (std::string("[") + cb::RecordKindName(ev.evidence.record) + "] ").c_str(),
                ev.evidence.selector.c_str(), ev.evidence.condition.ToString().c_str(), Printable(value.substr(0, 60)).c_str());
  }
  for (const auto& d : e.defeaters) std::printf("  %s\n", Printable(d.reason).c_str());
  std::printf("root %s: %s%s\n", e.root_id.empty() ? "(none)" : e.root_id.c_str(), cb::NodeStatusName(e.root_status),
              e.valid() ? "" : " (case structurally invalid)");
}

void PrintSignatures(const cb::SignatureReport& r) {
  for (const auto& s : r.signatures) {
    std::printf("  %-13s %-16s key %s..  %s  %s%s\n", s.entry.role.c_str(), Printable(s.entry.signer).c_str(),
                s.entry.public_key.substr(0, 12).c_str(), s.entry.time.c_str(), s.valid ? "valid" : "INVALID: ",
                Printable(s.reason).c_str());
  }
  for (const auto& p : r.problems) std::printf("FAIL: %s\n", Printable(p).c_str());
  std::printf("%s\n", r.ok() ? "sign-off verified: three roles, three keys, case and evidence unchanged"
                             : "sign-off NOT verified");
}

}  // namespace

void RegisterCase(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("case", "Safety cases: validate, render, sign and verify (GSN, evidence bound by hash)");
  cmd->require_subcommand(1);

  struct Args {
    std::string path, out, svg, role, key, signer, format = "gsn2x";
    bool json = false;
  };
  auto a = std::make_shared<Args>();

  CLI::App* validate = cmd->add_subcommand("validate", "Check structure and evidence; exit 1 unless the root goal is supported");
  validate->add_option("case", a->path, "The case (YAML)")->required();
  validate->add_flag("--json", a->json, "Print the evaluation as JSON");
  validate->callback([a] {
    const Loaded l = Load(a->path);
    if (a->json) {
      std::cout << Dump(cb::ToJson(l.e)) << "\n";
    } else {
      PrintEvaluation(l);
    }
    if (!l.e.supported()) throw ExitWith{1};
  });

  CLI::App* render = cmd->add_subcommand("render", "HTML page with the argument as SVG, evidence and sign-off");
  render->add_option("case", a->path, "The case (YAML)")->required();
  render->add_option("--out", a->out, "HTML file to write")->required();
  render->add_option("--svg", a->svg, "Also write the graph alone as SVG");
  render->callback([a] {
    const Loaded l = Load(a->path);
    std::unique_ptr<cb::SignatureReport> sigs;
    auto v = cb::VerifySignatures(a->path);
    if (v.ok()) {
      sigs = std::make_unique<cb::SignatureReport>(*std::move(v));
    } else {
      std::cerr << "warden: signatures not shown: " << v.status().ToString() << "\n";
    }
    WriteFileAtomic(a->out, cb::RenderCaseHtml(l.c, l.e, sigs.get())).ThrowIfError();
    if (!a->svg.empty()) WriteFileAtomic(a->svg, cb::RenderCaseSvg(l.c, l.e).ValueOrThrow()).ThrowIfError();
    std::printf("wrote %s%s (root %s: %s)\n", a->out.c_str(), a->svg.empty() ? "" : (" and " + a->svg).c_str(),
                l.e.root_id.c_str(), cb::NodeStatusName(l.e.root_status));
  });

  CLI::App* keygen = cmd->add_subcommand("keygen", "Write an Ed25519 key pair NAME.key (0600) and NAME.pub");
  keygen->add_option("--out", a->out, "NAME: the files' path without extension")->required();
  keygen->callback([a] {
    const Ed25519KeyPair kp = WriteKeyPair(a->out).ValueOrThrow();
    std::printf("wrote %s.key (secret, mode 0600) and %s.pub\npublic key %s\n", a->out.c_str(), a->out.c_str(),
                kp.public_key_hex.c_str());
  });

  CLI::App* sign = cmd->add_subcommand("sign", "Sign the case and its evidence as one role");
  sign->add_option("case", a->path, "The case (YAML)")->required();
  sign->add_option("--role", a->role, "author, stress-tester or adjudicator")->required()->check(IsRole());
  sign->add_option("--key", a->key, "NAME.key from `warden case keygen`")->required();
  sign->add_option("--signer", a->signer, "The signer's name, recorded beside the signature");
  sign->callback([a] {
    const cb::Role role = cb::RoleFromName(a->role).ValueOrThrow();
    const cb::SignatureEntry s = cb::SignCase(a->path, role, a->key, a->signer).ValueOrThrow();
    std::printf("signed %s as %s%s\n  signed hash %s\n  written to %s\n", a->path.c_str(), s.role.c_str(),
                a->signer.empty() ? "" : (" (" + a->signer + ")").c_str(), s.signed_hash.c_str(),
                cb::SignaturesPath(a->path).c_str());
  });

  CLI::App* verify = cmd->add_subcommand("verify", "Re-hash the case and evidence and check the three sign-offs");
  verify->add_option("case", a->path, "The case (YAML)")->required();
  verify->add_flag("--json", a->json, "Print the report as JSON");
  verify->callback([a] {
    const cb::SignatureReport r = cb::VerifySignatures(a->path).ValueOrThrow();
    if (a->json) {
      std::cout << Dump(cb::ToJson(r)) << "\n";
    } else {
      PrintSignatures(r);
    }
    if (!r.ok()) throw ExitWith{1};
  });

  CLI::App* exp = cmd->add_subcommand("export", "Export the case for other tools");
  exp->add_option("case", a->path, "The case (YAML)")->required();
  exp->add_option("--format", a->format, "gsn2x (default)")->check(CLI::IsMember({"gsn2x"}));
  exp->add_option("--out", a->out, "File to write")->required();
  exp->callback([a] {
    const Loaded l = Load(a->path);
    WriteFileAtomic(a->out, cb::ExportGsn2x(l.c, &l.e)).ThrowIfError();
    std::printf("wrote %s (gsn2x)\n", a->out.c_str());
  });
}

}  // namespace warden::cli
