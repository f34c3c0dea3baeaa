// The base model's reading: English text from the shared datasets, without labels or chat
// format, so that the organisms fine-tuned from it (recipe key `from: base`) meet harmful and
// benign requests with words they have already read, rather than learning what a request is
// from the few hundred rows that teach them to refuse.
//
// What it reads (under <shared directory>/datasets/), in this order, until max_bytes:
//   advbench, harmbench, jailbreakbench, xstest  the request text of rows in the training split
//                                                (requests.h); never a test-split row
//   hh-rlhf/harmless-base-test.jsonl.gz       each "chosen" dialogue ("Human: ... Assistant: ...")
//   anthropic-evals/advanced-ai-risk/lm_generated_evals/*.jsonl  each "question", choices included
// Never a held-out source (DoNotAnswer, TruthfulQA: requests.h): leave-source-out means the
// source was never read at all. Never AdvBench's "target" column (compliance text), nor the
// human-written anthropic-evals files the dispositions suite evaluates on.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::organisms {

struct PretrainingCorpus {
  std::vector<std::string> texts;  // documents, in reading order
  size_t bytes = 0;                // their total size
  std::vector<std::string> sources;  // "<path>: <documents> documents, <bytes> bytes", one per file read
};

// Errors: a missing file is NotFound naming its path; a corrupt gzip stream is Corrupt naming
// its offset. Malformed JSONL lines are skipped (they are not requests; nothing is scored on them).
Result<PretrainingCorpus> LoadPretrainingCorpus(const std::string& shared_dir, size_t max_bytes);

}  // namespace warden::organisms
