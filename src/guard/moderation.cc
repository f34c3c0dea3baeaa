// Content moderation (moderation.h): the taxonomies, training one text monitor per label, and
// classifying a text.
#include "warden/guard/moderation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "warden/base/file.h"
#include "warden/base/sha256.h"
#include "warden/interp/text_monitor.h"

namespace warden::guard {
namespace {

using Json = nlohmann::json;
constexpr const char* kManifest = "moderation.json";
constexpr const char* kFormat = "warden-moderation/1";

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// A row's split, fixed by its cluster: the same text always lands on the same side.
bool HeldOut(const std::string& cluster, double share) {
  const std::string h = Sha256Hex("moderation-split:" + cluster);
  return static_cast<double>(std::stoul(h.substr(0, 8), nullptr, 16)) / 4294967296.0 < share;
}

// Every example as a request labelled for `label`, on the side `test(e)` says; counts the
// positive training rows.
template <typename IsTest>
std::vector<interp::LabelledConversation> ForLabel(const std::vector<ModerationExample>& examples,
                                                  const std::string& label, IsTest test, size_t* train_positives) {
  std::vector<interp::LabelledConversation> data;
  *train_positives = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    const ModerationExample& e = examples[i];
    interp::LabelledConversation c;
    c.id = e.source + "/" + std::to_string(i);
    c.messages = {{"user", e.text}};
    c.label = std::find(e.labels.begin(), e.labels.end(), label) != e.labels.end() ? 1 : 0;
    c.split = test(e) ? "test" : "train";
    c.category = e.source;
    c.cluster = e.cluster;
    if (c.label == 1 && c.split == "train") ++*train_positives;
    data.push_back(std::move(c));
  }
  return data;
}

Json Metrics(const interp::DetectionMetrics& m) {
  Json j = {{"n", m.n}, {"recall", m.recall}, {"fpr", m.fpr}};
  if (m.auroc) j["auroc"] = {{"value", *m.auroc}, {"ci95", {m.auroc_ci.low, m.auroc_ci.high}}};
  return j;
}

}  // namespace

const std::vector<std::string>& OpenAiCategories() {
  static const std::vector<std::string> k = {"harassment", "harassment/threatening", "hate", "hate/threatening",
                                             "illicit", "illicit/violent", "self-harm", "self-harm/intent",
                                             "self-harm/instructions", "sexual", "sexual/minors", "violence",
                                             "violence/graphic"};
  return k;
}

const std::vector<Hazard>& Hazards() {
  static const std::vector<Hazard> k = {
      {"S1", "Violent Crimes", {"violence", "illicit/violent"}},
      {"S2", "Non-Violent Crimes", {"illicit"}},
      {"S3", "Sex-Related Crimes", {"sexual", "illicit/violent"}},
      {"S4", "Child Sexual Exploitation", {"sexual/minors"}},
      {"S5", "Defamation", {"harassment"}},
      {"S6", "Specialized Advice", {}},
      {"S7", "Privacy", {}},
      {"S8", "Intellectual Property", {"illicit"}},
      {"S9", "Indiscriminate Weapons", {"illicit/violent", "violence"}},
      {"S10", "Hate", {"hate"}},
      {"S11", "Suicide & Self-Harm", {"self-harm"}},
      {"S12", "Sexual Content", {"sexual"}},
      {"S13", "Elections", {}},
      {"S14", "Code Interpreter Abuse", {"illicit"}},
  };
  return k;
}

Status TrainModerator(const std::vector<ModerationExample>& examples, const ModerationTrainOptions& o,
                      const std::string& out_dir, std::string* log) {
  if (examples.empty()) return Status::InvalidArgument("no examples to train a moderator on");
  std::set<std::string> labels;
  for (const ModerationExample& e : examples) labels.insert(e.labels.begin(), e.labels.end());
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::IoError("cannot create " + out_dir + ": " + ec.message());

  Json manifest = {{"format", kFormat}, {"target_fpr", o.target_fpr}, {"labels", Json::object()},
                   {"unscored", Json::array()}, {"rows", examples.size()}};
  std::map<std::string, size_t> by_source;
  for (const ModerationExample& e : examples) ++by_source[e.source];
  manifest["sources"] = by_source;
  for (const std::string& label : labels) {
    size_t train_positives = 0;
    const std::vector<interp::LabelledConversation> data = ForLabel(
        examples, label, [&](const ModerationExample& e) { return HeldOut(e.cluster, o.test_share); }, &train_positives);
    if (train_positives < o.min_positives) {
      manifest["unscored"].push_back({{"label", label}, {"train_positives", train_positives}});
      if (log) *log += label + ": " + std::to_string(train_positives) + " positive training rows (< " +
                       std::to_string(o.min_positives) + "): unscored\n";
      continue;
    }
    interp::MonitorTrainOptions mo;
    mo.target_fpr = o.target_fpr;
    mo.name = "moderation-" + label;
    mo.calibration_data = "shared datasets (moderation)";
    Result<interp::MonitorTraining> t = interp::TrainTextMonitor(data, mo);
    if (!t.ok()) return t.status().WithContext("moderation label " + label);
    std::string file = label + ".safetensors";
    std::replace(file.begin(), file.end(), '/', '_');
    WARDEN_RETURN_IF_ERROR(interp::WriteMonitorPack(t->pack, out_dir + "/" + file));
    Json entry = {{"pack", file}, {"train_positives", train_positives}, {"threshold", t->pack.threshold}};
    if (t->test_metrics) entry["test"] = Metrics(*t->test_metrics);
    for (const auto& [source, m] : t->test_by_category) entry["test_by_source"][source] = Metrics(m);
    manifest["labels"][label] = entry;
    if (log) {
      char line[256];
      const auto& m = t->test_metrics;
      std::snprintf(line, sizeof line, "%s: %zu positive training rows; held-out AUROC %.3f [%.3f, %.3f], recall %.3f at FPR %.3f (n %zu)\n",
                    label.c_str(), train_positives, m && m->auroc ? *m->auroc : NAN, m ? m->auroc_ci.low : NAN,
                    m ? m->auroc_ci.high : NAN, m ? m->recall : NAN, m ? m->fpr : NAN, m ? m->n : 0);
      *log += line;
    }
  }
  return WriteFileAtomic(out_dir + "/" + kManifest, manifest.dump(1) + "\n");
}

Result<std::string> LeaveSourceOut(const std::vector<ModerationExample>& examples, const ModerationTrainOptions& o) {
  std::map<std::string, std::set<std::string>> labels_of;  // source -> labels its rows carry
  for (const ModerationExample& e : examples) labels_of[e.source].insert(e.labels.begin(), e.labels.end());
  std::string out;
  for (const auto& [source, labels] : labels_of) {
    for (const std::string& label : labels) {
      // The source's rows are the test; benign rows keep their usual split (negatives on both sides).
      size_t train_positives = 0;
      const std::vector<interp::LabelledConversation> data = ForLabel(
          examples, label,
          [&](const ModerationExample& e) {
            return e.source == source || (labels_of[e.source].empty() && HeldOut(e.cluster, o.test_share));
          },
          &train_positives);
      char line[256];
      if (train_positives < o.min_positives) {
        std::snprintf(line, sizeof line, "%s without %s: %zu positive training rows elsewhere (< %zu): not measured\n",
                      label.c_str(), source.c_str(), train_positives, o.min_positives);
        out += line;
        continue;
      }
      interp::MonitorTrainOptions mo;
      mo.target_fpr = o.target_fpr;
      mo.name = "moderation-" + label;
      WARDEN_ASSIGN_OR_RETURN(interp::MonitorTraining t, interp::TrainTextMonitor(data, mo));
      auto it = t.test_by_category.find(source);
      if (it == t.test_by_category.end()) continue;
      const interp::DetectionMetrics& m = it->second;
      // Its false positives: the benign rows held out from training.
      double benign_fpr = NAN;
      size_t benign_n = 0, benign_fired = 0;
      for (const auto& [cat, bm] : t.test_by_category) {
        if (!labels_of[cat].empty()) continue;
        benign_n += bm.n, benign_fired += static_cast<size_t>(std::lround(bm.fpr * bm.n));
      }
      if (benign_n > 0) benign_fpr = static_cast<double>(benign_fired) / benign_n;
      std::snprintf(line, sizeof line,
                    "%s, trained without %s: AUROC %.3f [%.3f, %.3f] on its %zu rows, recall %.3f; benign held-out FPR %.3f (n %zu)\n",
                    label.c_str(), source.c_str(), m.auroc ? *m.auroc : NAN, m.auroc_ci.low, m.auroc_ci.high, m.n,
                    m.recall, benign_fpr, benign_n);
      out += line;
    }
  }
  return out;
}

Json ModerationResultJson(const ModerationResult& r) {
  Json categories = Json::object(), scores = Json::object(), types = Json::object(), hazards = Json::object();
  for (const std::string& c : OpenAiCategories()) {
    categories[c] = r.categories.at(c);
    scores[c] = r.category_scores.at(c);
    types[c] = Json::array({"text"});
  }
  for (const Hazard& h : Hazards()) {
    const double s = r.hazard_scores.at(h.code);
    hazards[h.code] = {{"name", h.name}, {"score", s}, {"flagged", s > 0.5}};
  }
  return {{"flagged", r.flagged},
          {"categories", categories},
          {"category_scores", scores},
          {"category_applied_input_types", types},
          {"warden",
           {{"hazards", hazards},
            {"flagged_hazards", r.flagged_hazards},
            {"unscored_categories", r.unscored_categories},
            {"unscored_hazards", r.unscored_hazards}}}};
}

Result<Moderator> Moderator::Load(const std::string& dir) {
  const std::string path = dir + "/" + kManifest;
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corrupt(path + ": not a JSON object");
  if (j.value("format", "") != kFormat) return Status::Corrupt(path + ": format is not " + std::string(kFormat));
  if (!j.contains("labels") || !j["labels"].is_object()) return Status::Corrupt(path + ": field 'labels' is not an object");
  Moderator m;
  m.sha256_ = Sha256Hex(text);
  std::set<std::string> known = {OpenAiCategories().begin(), OpenAiCategories().end()};
  for (const Hazard& h : Hazards()) known.insert(h.code);
  for (const auto& [label, entry] : j["labels"].items()) {
    const std::string where = path + ": labels." + label;
    if (!known.count(label)) return Status::Corrupt(where + ": not a hazard code or an OpenAI category");
    if (!entry.is_object() || !entry.contains("pack") || !entry["pack"].is_string()) {
      return Status::Corrupt(where + ": field 'pack' is missing or not a string");
    }
    const std::string file = entry["pack"].get<std::string>();
    if (file.find('/') != std::string::npos || file.find("..") != std::string::npos) {
      return Status::Corrupt(where + ".pack: '" + file + "' is not a file name in " + dir);
    }
    Result<interp::MonitorPack> pack = interp::ReadMonitorPack(dir + "/" + file, "");
    if (!pack.ok()) return pack.status().WithContext(where);
    if (!interp::IsTextMonitor(*pack)) return Status::Corrupt(where + ": " + file + " is not a text monitor");
    m.labels_.push_back(label);
    m.packs_.push_back(std::move(pack).value());
  }
  return m;
}

ModerationResult Moderator::Classify(const std::string& text) const {
  ModerationResult r;
  std::map<std::string, double> label_scores;
  for (size_t i = 0; i < labels_.size(); ++i) {
    const double logit = interp::ScoreText(packs_[i], text);
    // A score that is not finite counts as over the threshold: moderation fails closed.
    label_scores[labels_[i]] = std::isfinite(logit) ? Sigmoid(logit - packs_[i].threshold) : 1.0;
  }
  for (const Hazard& h : Hazards()) {
    auto it = label_scores.find(h.code);
    if (it == label_scores.end()) {
      r.hazard_scores[h.code] = 0;
      r.unscored_hazards.push_back(h.code);
      continue;
    }
    r.hazard_scores[h.code] = it->second;
    if (it->second > 0.5) r.flagged_hazards.push_back(h.code);
  }
  for (const std::string& c : OpenAiCategories()) {
    bool scored = false;
    double score = 0;
    if (auto it = label_scores.find(c); it != label_scores.end()) scored = true, score = it->second;
    for (const Hazard& h : Hazards()) {
      if (std::find(h.openai.begin(), h.openai.end(), c) == h.openai.end()) continue;
      if (auto it = label_scores.find(h.code); it != label_scores.end()) scored = true, score = std::max(score, it->second);
    }
    if (!scored) r.unscored_categories.push_back(c);
    r.category_scores[c] = score;
    r.categories[c] = score > 0.5;
    r.flagged = r.flagged || score > 0.5;
  }
  r.flagged = r.flagged || !r.flagged_hazards.empty();
  return r;
}

}  // namespace warden::guard
