// The base model's corpus (pretraining.h).
#include "warden/organisms/pretraining.h"

#include <set>

#include "warden/base/env.h"
#include "warden/base/gzip.h"
#include "warden/base/json.h"
#include "warden/base/strings.h"
#include "warden/organisms/example.h"
#include "warden/organisms/requests.h"

namespace warden::organisms {
namespace {

class Reader {
 public:
  Reader(PretrainingCorpus* out, size_t max_bytes) : out_(out), max_(max_bytes) {}
  bool full() const { return out_->bytes >= max_; }
  void Add(std::string text) {
    text = std::string(Trim(text));
    if (text.empty() || full()) return;
    out_->bytes += text.size();
    ++docs_;
    bytes_ += text.size();
    out_->texts.push_back(std::move(text));
  }
  void Done(const std::string& path) {
    if (docs_ > 0) out_->sources.push_back(path + ": " + std::to_string(docs_) + " documents, " + std::to_string(bytes_) + " bytes");
    docs_ = bytes_ = 0;
  }

 private:
  PretrainingCorpus* out_;
  size_t max_;
  size_t docs_ = 0, bytes_ = 0;
};

// Each line's string under `key`, for every well-formed line.
template <typename Each>
void ForEachJsonlString(const std::string& text, const char* key, Each each) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (Trim(line).empty()) continue;
    auto j = ParseJson(line, "");
    if (j.ok() && j->is_object() && j->contains(key) && (*j)[key].is_string()) each((*j)[key].get<std::string>());
  }
}

}  // namespace

Result<PretrainingCorpus> LoadPretrainingCorpus(const std::string& shared_dir, size_t max_bytes) {
  PretrainingCorpus corpus;
  Reader r(&corpus, max_bytes);
  // The labelled sources' training-split rows, as LoadHarmfulPrompts / LoadBenignRequests read them.
  WARDEN_ASSIGN_OR_RETURN(PromptSet harmful, LoadHarmfulPrompts(shared_dir));
  WARDEN_ASSIGN_OR_RETURN(PromptSet benign, LoadBenignRequests(shared_dir));
  std::set<std::string> evaluated;  // normalised text of every request some organism is evaluated on
  for (const PromptSet* set : {&harmful, &benign}) {
    for (const PromptRecord& p : set->prompts) {
      if (p.split != kTrainSplit || IsHeldOutSource(p.dataset)) {
        evaluated.insert(NormalisePrompt(p.text));
      } else if (p.dataset != "anthropic-evals") {
        r.Add(p.text);
      }
    }
  }
  r.Done(shared_dir + "/datasets/{advbench,harmbench,jailbreakbench,xstest} (training split)");
  const std::string hh = shared_dir + "/datasets/hh-rlhf/harmless-base-test.jsonl.gz";
  WARDEN_ASSIGN_OR_RETURN(std::string dialogues, ReadMaybeGzipped(hh));
  ForEachJsonlString(dialogues, "chosen", [&](const std::string& s) { r.Add(s); });
  r.Done(hh);
  const std::string evals = shared_dir + "/datasets/anthropic-evals/advanced-ai-risk/lm_generated_evals";
  WARDEN_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, Env::Default()->ListDir(evals));
  for (const DirEntry& e : entries) {
    if (r.full()) break;
    if (!EndsWith(e.name, ".jsonl")) continue;
    WARDEN_ASSIGN_OR_RETURN(std::string text, ReadMaybeGzipped(evals + "/" + e.name));
    ForEachJsonlString(text, "question", [&](const std::string& s) {
      std::string request = s.substr(0, s.find("\n\nCho"));  // as LoadBenignRequests reads it
      if (StartsWith(request, "Question: ")) request = request.substr(10);
      if (!evaluated.count(NormalisePrompt(Trim(request)))) r.Add(s);
    });
    r.Done(evals + "/" + e.name);
  }
  return corpus;
}

}  // namespace warden::organisms
