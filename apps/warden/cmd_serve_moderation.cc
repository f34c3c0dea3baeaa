// warden serve moderation: the classifier behind POST /v1/moderations (guard/moderation.h).
//   warden serve moderation train [--out assessment/moderation] [--target-fpr 0.01] [--leave-source-out]
//   warden serve moderation classify DIR TEXT...      (prints the API's result for each text)
// `train` reads the shared datasets ($WARDEN_SHARED, default ../shared) and prints each label's
// held-out figures; the directory goes into a safeguards file as `moderation: DIR` (the
// embedded default serves assessment/moderation when it exists).
#include <iostream>

#include "cli.h"
#include "warden/base/shared_dir.h"
#include "warden/guard/moderation.h"

namespace warden::cli {

void RegisterServeModeration(CLI::App& serve) {
  CLI::App* cmd = serve.add_subcommand("moderation", "Train or try the moderation classifier (POST /v1/moderations)");
  cmd->require_subcommand(1);

  struct TrainArgs {
    std::string out = "assessment/moderation";
    double target_fpr = 0.01;
    bool leave_source_out = false;
  };
  auto t = std::make_shared<TrainArgs>();
  CLI::App* train = cmd->add_subcommand("train", "Train one text classifier per hazard label on the shared datasets");
  train->add_option("--out", t->out, "Directory to write (default assessment/moderation)");
  train->add_option("--target-fpr", t->target_fpr, "False-positive rate each label's threshold is calibrated to")
      ->check(CLI::Range(0.0001, 0.5));
  train->add_flag("--leave-source-out", t->leave_source_out,
                  "Also measure each label on each source after training without that source (slower)");
  train->callback([t] {
    std::cerr << "moderation: reading " << SharedDir() << "/datasets\n";
    std::vector<guard::ModerationExample> examples = guard::LoadModerationExamples(SharedDir()).ValueOrThrow();
    std::cerr << "moderation: " << examples.size() << " rows; training one classifier per label\n";
    guard::ModerationTrainOptions o;
    o.target_fpr = t->target_fpr;
    std::string log;
    guard::TrainModerator(examples, o, t->out, &log).ThrowIfError();
    std::cout << log << "wrote " << t->out << "/moderation.json\n";
    if (t->leave_source_out) std::cout << "leave-source-out:\n" << guard::LeaveSourceOut(examples, o).ValueOrThrow();
  });

  struct ClassifyArgs {
    std::string dir;
    std::vector<std::string> texts;
  };
  auto c = std::make_shared<ClassifyArgs>();
  CLI::App* classify = cmd->add_subcommand("classify", "Print the moderation result of each text");
  classify->add_option("DIR", c->dir, "A moderator directory")->required();
  classify->add_option("TEXT", c->texts, "Texts to classify")->required();
  classify->callback([c] {
    guard::Moderator m = guard::Moderator::Load(c->dir).ValueOrThrow();
    for (const std::string& text : c->texts) std::cout << guard::ModerationResultJson(m.Classify(text)).dump() << "\n";
  });
}

}  // namespace warden::cli
