// Shared by the activation-reading commands (acts, probe, ccs): the options that pick a model,
// labelled conversations, hooks and a position rule, and the capture itself.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "warden/interp/activations.h"

namespace warden::cli {

struct CaptureArgs {
  ModelOptions model;
  std::string data, hooks = "blocks.*.hook_resid_post", position = "response-mean", chat = "auto";
  size_t batch = 16;
};

// Captures with progress on stderr; throws warden::Error on failure.
interp::ActivationSet Capture(const CaptureArgs& a, const engine::LanguageModel& lm,
                              const std::vector<interp::LabelledConversation>& data);

void AddCaptureOptions(CLI::App* cmd, CaptureArgs* a);

}  // namespace warden::cli
