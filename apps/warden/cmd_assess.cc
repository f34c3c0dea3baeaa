// warden assess [MODEL...]: the responsible-scaling cycle (docs/assess.md). With no MODEL it
// assesses the tiny model-organism zoo, building it first if it is missing. Writes a report
// directory and exits with the decision: 0 continue, 3 continue-with-safeguards,
// 4 do-not-deploy, 5 pause-training (1 error, 2 usage).
#include <iostream>

#include "cli.h"
#include "flags.h"
#include "warden/assess/assess.h"
#include "warden/base/file.h"
#include "warden/base/shared_dir.h"

namespace warden::cli {

void RegisterAssess(CLI::App& app) {
  auto o = std::make_shared<assess::AssessOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("assess", "The RSP cycle: evaluate, check integrity, forecast, decide by policy, "
                                               "compile the safety case, report (exit status = decision)");
  cmd->add_option("models", o->models, "Model directories (default: the tiny zoo's organisms and ladder)");
  cmd->add_option("--policy", o->policy_path, "Policy YAML (default: the built-in policy; warden policy show)");
  cmd->add_option("--out", o->out_dir, "Report directory (default assessment/)");
  cmd->add_option("--zoo", o->zoo_dir, "The zoo: assessed with no MODEL (built if missing); its held-out data "
                                       "are the evaluations' datasets (default zoo/)");
  cmd->add_option("--reference", o->references, "Models known not to sandbag, to calibrate the sandbagging check "
                                                 "(default with the zoo: the ladder's two largest rungs)");
  cmd->add_option("--monitor-data", o->monitor_data, "Labelled requests (JSONL, label 1 = harmful; train/test splits) "
                                                     "for each model's harmful-request monitor (default: the zoo's "
                                                     "benchmarks/harm-detection.jsonl)");
  cmd->add_option("--limit", o->limit, "Samples per evaluation (default: all)")->check(NonNegative());
  cmd->add_option("--seeds", o->seeds, "Noise seeds in the sandbagging sweep (default 3)")->check(Positive());
  cmd->add_option("--threads", o->threads, "CPU threads (default: all cores)")->check(NonNegative());
  cmd->add_flag("--json", *json, "Print decision.json instead of a summary");
  cmd->callback([o, json] {
    o->shared_dir = SharedDir();
    o->progress = [](const std::string& line) { std::cerr << line << "\n"; };
    assess::Assessment a = assess::RunAssessment(*o).ValueOrThrow();
    if (*json) {
      std::cout << ReadFileToString(a.out_dir + "/decision.json").ValueOrThrow();
    } else {
      std::cout << "decision: " << policy::DecisionName(a.overall) << "\n";
      for (const assess::SubjectResult& s : a.subjects) {
        std::cout << "  " << s.name << ": " << policy::DecisionName(s.decision.decision) << " (required level "
                  << s.decision.required_level << ", training " << s.decision.required_training_level
                  << "; safety case " << s.case_status << ")\n";
      }
      if (a.audit.is_object()) {
        std::cout << "audit against the cards: agree " << a.audit.value("agree", 0) << ", disagree "
                  << a.audit.value("disagree", 0) << ", expected misses " << a.audit.value("expected_misses", 0) << "\n";
      }
      std::cout << "report: " << a.out_dir << "/report.html (" << a.seconds << " s)\n";
    }
    if (const int code = policy::DecisionExitCode(a.overall); code != 0) throw ExitWith{code};
  });
}

}  // namespace warden::cli
