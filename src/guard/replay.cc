#include "warden/guard/replay.h"

#include <algorithm>
#include <map>

namespace warden::guard {

using Json = nlohmann::json;

Json RequestToJson(const GuardRequest& r) {
  Json messages = Json::array();
  for (const engine::ChatMessage& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  Json j = {{"max_tokens", r.max_tokens}, {"temperature", r.temperature}, {"top_p", r.top_p},
            {"top_k", r.top_k},           {"seed", r.seed},               {"stop", r.stop}};
  if (r.raw) j["prompt"] = r.prompt;
  else j["messages"] = messages;
  return j;
}

Result<GuardRequest> RequestFromJson(const Json& j, const std::string& where) {
  GuardRequest r;
  try {
    if (!j.is_object()) return Status::Corrupt(where + ": expected an object");
    if (j.contains("prompt")) {
      r.raw = true;
      r.prompt = j.at("prompt").get<std::string>();
    } else {
      for (const Json& m : j.at("messages")) r.messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    }
    r.max_tokens = j.at("max_tokens").get<int64_t>();
    r.temperature = j.at("temperature").get<double>();
    r.top_p = j.at("top_p").get<double>();
    r.top_k = j.at("top_k").get<int64_t>();
    r.seed = j.at("seed").get<uint64_t>();
    r.stop = j.at("stop").get<std::vector<std::string>>();
  } catch (const Json::exception& e) {
    return Status::Corrupt(where + ": " + e.what());
  }
  return r;
}

Result<ReplayReport> Replay(Guard& guard, const std::vector<store::DecisionRecord>& records) {
  ReplayReport report;
  std::vector<std::pair<const store::DecisionRecord*, std::shared_ptr<Stream>>> pending;
  // Collects the pending decisions and compares them with the recorded ones.
  auto drain = [&]() -> Status {
    for (auto& [rec, stream] : pending) {
      std::string action, by;
      for (;;) {
        StreamEvent e = stream->Next();
        if (!e.final()) continue;
        if (e.kind == StreamEvent::Kind::kError) return e.error.WithContext("replaying record " + std::to_string(rec->seq));
        if (e.kind == StreamEvent::Kind::kBlocked) action = "block", by = e.safeguard;
        else if (e.finish_reason == "content_filter") action = "cut", by = e.safeguard;
        else action = "allow";
        break;
      }
      ++report.replayed;
      ++report.before[rec->action];
      ++report.after[action];
      // An error decision replays as whatever the new safeguards decide: compare the kinds of
      // stop. An abandoned request was allowed as far as it went.
      const std::string before = rec->action == "error"       ? (rec->stage == "input" ? "block" : "cut")
                                 : rec->action == "abandoned" ? "allow"
                                                              : rec->action;
      if (before != action || (action != "allow" && rec->monitor != by)) {
        report.changes.push_back({rec->seq, rec->request_id, rec->action, action, rec->monitor, by});
      }
    }
    pending.clear();
    return Status::Ok();
  };
  const size_t wave = static_cast<size_t>(std::max<int64_t>(1, guard.safeguards().limits.max_queue));
  for (const store::DecisionRecord& rec : records) {
    if (rec.hash_only) {
      ++report.skipped;
      continue;
    }
    if (rec.model_sha256 != guard.model_sha256()) {
      return Status::FailedPrecondition("record " + std::to_string(rec.seq) + " was decided on model " +
                                        rec.model_sha256.substr(0, 12) + ", not the one loaded (" +
                                        guard.model_sha256().substr(0, 12) + ")");
    }
    const std::string where = "record " + std::to_string(rec.seq) + " request";
    Json j = Json::parse(rec.request_json, nullptr, false);
    if (j.is_discarded()) return Status::Corrupt(where + ": not JSON");
    WARDEN_ASSIGN_OR_RETURN(GuardRequest r, RequestFromJson(j, where));
    r.request_id = rec.request_id;
    r.key_id = rec.key_id;
    r.user = rec.user;
    pending.push_back({&rec, guard.Submit(std::move(r))});
    if (pending.size() >= wave) WARDEN_RETURN_IF_ERROR(drain());  // within the guard's queue
  }
  WARDEN_RETURN_IF_ERROR(drain());
  return report;
}

}  // namespace warden::guard
