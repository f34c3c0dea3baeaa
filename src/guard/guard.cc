// The guard: start-up, admission and the worker (guard.h). The decode loop is in
// decode_loop.cc.
#include "warden/guard/guard.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "guard/internal.h"
#include "warden/guard/users.h"
#include "warden/interp/text_monitor.h"
#include "warden/guard/replay.h"
#include "warden/engine/tokenizer.h"

namespace warden::guard {

void Stream::Push(StreamEvent e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

StreamEvent Stream::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !events_.empty(); });
  StreamEvent e = std::move(events_.front());
  events_.pop_front();
  // Deltas that queued up while the reader was busy leave as one: under load the gateway then
  // writes one chunk for several tokens instead of one each.
  while (e.kind == StreamEvent::Kind::kDelta && !events_.empty() && events_.front().kind == StreamEvent::Kind::kDelta) {
    e.text += events_.front().text;
    events_.pop_front();
  }
  return e;
}

TextVerdict RunText(const Safeguard& s, const std::string& text) {
  TextVerdict v;
  const auto t0 = Clock::now();
  if (s.text) {
    const double score = interp::ScoreText(*s.pack, text);
    if (std::isfinite(score)) {
      v.score = score;
      v.fired = score > s.threshold;
    } else {
      v.error = "score is not finite";
    }
    v.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return v;
  }
  try {
    for (const std::regex& r : s.patterns) {
      if (std::regex_search(text, r)) {
        v.fired = true;
        break;
      }
    }
  } catch (const std::regex_error& e) {  // error_complexity / error_stack on pathological input
    v.error = std::string("regex failed: ") + e.what();
  }
  v.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return v;
}

void Guard::Impl::Fill(const Job& job, store::DecisionRecord* out) const {
  store::DecisionRecord& r = *out;
  r.model = model_name;
  r.model_sha256 = model_sha256;
  r.safeguards_sha256 = safeguards.sha256;
  r.request_id = job.request.request_id;
  r.key_id = job.request.key_id;
  r.user = job.request.user;
  r.prompt = job.rendered;
  r.request_json = RequestToJson(job.request).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status Guard::Impl::Record(const Job& job, store::DecisionRecord r) {
  if (store == nullptr) return Status::Ok();
  Fill(job, &r);
  return Append(&r);
}

Status Guard::Impl::Append(store::DecisionRecord* r) {
  std::optional<store::AuditItem> item = auditor ? auditor->Admit(*r) : std::nullopt;
  std::optional<store::UserEvent> event;
  const UsersSpec& users = safeguards.users;
  const std::string subject = UserSubject(r->key_id, r->user);
  // A request that failed in the guard says nothing about its user: it is not filed.
  if (users.enabled && !subject.empty() && r->action != "error") {
    const double risk = std::clamp(UserRisk(r->scores_json, users), -1e300, 1e300);
    event = store::UserEvent{subject, risk};
    if (!item && auditor && users.audit_elevated) {
      // The random draw came first (a sampled record stays "sample", so the allowed-traffic
      // estimate is unbiased); a user at elevated risk adds the rest of their requests.
      WARDEN_ASSIGN_OR_RETURN(UserStanding standing, StandingOf(*store, users, r->key_id, r->user));
      if (standing.elevated) {
        store::AuditItem a;
        a.priority = std::clamp(RecordRisk(r->scores_json), -1e300, 1e300);
        a.reason = "user";
        a.inclusion = 1;
        item = a;
      }
    }
  }
  return store->Append(r, item ? &*item : nullptr, event ? &*event : nullptr);
}

Result<UserStanding> Guard::Standing(const std::string& key_id, const std::string& user) const {
  if (impl_->store == nullptr) return UserStanding{};
  return StandingOf(*impl_->store, impl_->safeguards.users, key_id, user);
}

void Guard::Impl::CommitThenRelease(const Job& job, store::DecisionRecord r, std::vector<StreamEvent> events) {
  if (store == nullptr) {
    for (StreamEvent& e : events) job.out->Push(std::move(e));
    return;
  }
  Fill(job, &r);
  {
    std::lock_guard<std::mutex> lock(commit_mu);
    commits.push_back({std::move(r), job.out, std::move(events)});
  }
  commit_cv.notify_one();
}

void Guard::Impl::RunCommitter() {
  for (;;) {
    Commit c;
    {
      std::unique_lock<std::mutex> lock(commit_mu);
      commit_cv.wait(lock, [&] { return commit_stopping || !commits.empty(); });
      if (commits.empty()) return;  // stopping, and nothing left
      c = std::move(commits.front());
      commits.pop_front();
    }
    if (Status st = Append(&c.record); !st.ok()) {  // fail closed: nothing more leaves without its record
      StreamEvent e;
      e.kind = StreamEvent::Kind::kError;
      e.error = st;
      c.out->Push(std::move(e));
      continue;
    }
    for (StreamEvent& e : c.events) c.out->Push(std::move(e));
  }
}

namespace {

// The safeguards of either mode, loaded; `model` null in black-box mode (then a probe is an error).
Status LoadSafeguardsInto(Guard::Impl& im, const Safeguards& safeguards, const engine::LanguageModel* model,
                          const std::string& model_sha256) {
  const std::string src = safeguards.path.empty() ? std::string("safeguards") : safeguards.path;
  for (const auto* stage : {&safeguards.input, &safeguards.output}) {
    const bool is_input = stage == &safeguards.input;
    for (const SafeguardSpec& spec : *stage) {
      Safeguard s;
      s.spec = spec;
      s.stage = is_input ? "input" : "output";
      if (!spec.probe.empty()) {
        Result<interp::MonitorPack> pack = interp::ReadMonitorPack(spec.probe, model_sha256);
        if (!pack.ok()) return pack.status().WithContext(src + ": " + spec.where + ".probe");
        s.pack = std::move(pack).value();
        s.text = interp::IsTextMonitor(*s.pack);
        if (!s.text && model == nullptr) {
          return Status::InvalidArgument(src + ": " + spec.where + ".probe: a probe reads the model's activations; "
                                         "in front of an upstream server (black-box) only text safeguards apply "
                                         "(regexes and text monitors)");
        }
        if (!spec.position.empty()) {
          Result<interp::PositionRule> rule = interp::PositionRuleFromName(spec.position);
          if (!rule.ok()) return rule.status().WithContext(src + ": " + spec.where + ".position");
          s.pack->position = *rule;
        }
        s.threshold = spec.has_threshold ? spec.threshold : s.pack->threshold;
      } else {
        for (std::string p : spec.regex) {
          auto flags = std::regex::ECMAScript;
          if (p.rfind("(?i)", 0) == 0) p = p.substr(4), flags |= std::regex::icase;
          s.patterns.emplace_back(p, flags);
        }
      }
      (is_input ? im.input : im.output).push_back(std::move(s));
    }
  }
  for (size_t i = 0; i < im.input.size(); ++i) {
    if (!im.input[i].reads_text()) im.input_packs.push_back(&*im.input[i].pack), im.input_pack_of.push_back(i);
  }
  for (size_t i = 0; i < im.output.size(); ++i) {
    if (!im.output[i].reads_text()) im.output_packs.push_back(&*im.output[i].pack), im.output_pack_of.push_back(i);
  }
  if (model != nullptr) {
    if (Status s = interp::CheckMonitorPacks(*model, im.input_packs, im.output_packs); !s.ok()) return s.WithContext(src);
  }
  if (!safeguards.moderation.empty()) {
    Result<Moderator> m = Moderator::Load(safeguards.moderation);
    if (!m.ok()) return m.status().WithContext(src + ": moderation");
    im.moderator = std::move(m).value();
  }
  for (const Safeguard& s : im.input) im.counters.push_back({s.spec.name, "input", s.kind(), 0, 0, 0, 0, 0});
  for (const Safeguard& s : im.output) im.counters.push_back({s.spec.name, "output", s.kind(), 0, 0, 0, 0, 0});
  if (const CascadeSpec& c = safeguards.cascade; c.enabled) {
    std::shared_ptr<const engine::LanguageModel> m = c.loaded;
    if (!m) {
      Result<std::unique_ptr<engine::LanguageModel>> loaded = engine::LanguageModel::Load({c.model, c.tokenizer});
      if (!loaded.ok()) return loaded.status().WithContext(src + ": cascade.model");
      m = std::move(loaded).value();
    }
    if (m->tokenizer() == nullptr) return Status::InvalidArgument(src + ": cascade.model: the guard model has no tokenizer");
    Result<std::optional<engine::ChatFormat>> format = engine::ResolveChatFormat("auto", *m->tokenizer());
    if (!format.ok()) return format.status().WithContext(src + ": cascade.model");
    if (!*format) return Status::InvalidArgument(src + ": cascade.model: the guard model's tokenizer has no chat format");
    Result<GuardModel> g = GuardModel::Create(m, **format);
    if (!g.ok()) return g.status().WithContext(src + ": cascade.model");
    Result<std::string> sha = m->WeightsSha256();
    if (!sha.ok()) return sha.status().WithContext(src + ": cascade.model");
    im.cascade = std::move(g).value();
    im.cascade_sha256 = *sha;
    im.counters.push_back({c.name, "input", "guard-model", 0, 0, 0, 0, 0});  // last: Escalate counts here
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Guard>> Guard::Start(std::unique_ptr<Impl> impl, const engine::LanguageModel* model) {
  std::unique_ptr<Guard> g(new Guard());
  g->impl_ = std::move(impl);
  WARDEN_RETURN_IF_ERROR(LoadSafeguardsInto(*g->impl_, g->impl_->safeguards, model, g->impl_->model_sha256));
  if (g->impl_->safeguards.audit.enabled) g->impl_->auditor = std::make_unique<Auditor>(g->impl_->safeguards.audit);
  if (g->impl_->store != nullptr) g->impl_->committer = std::thread([im = g->impl_.get()] { im->RunCommitter(); });
  g->worker_ = std::thread([gp = g.get()] { gp->Worker(); });
  return g;
}

Result<std::unique_ptr<Guard>> Guard::Create(std::shared_ptr<const engine::LanguageModel> model, std::string model_name,
                                             Safeguards safeguards, store::Store* store) {
  if (model == nullptr || model->tokenizer() == nullptr) {
    return Status::InvalidArgument("warden serve needs a model with a tokenizer");
  }
  auto im = std::make_unique<Impl>();
  WARDEN_ASSIGN_OR_RETURN(im->model_sha256, model->WeightsSha256());
  WARDEN_ASSIGN_OR_RETURN(im->format, engine::ResolveChatFormat("auto", *model->tokenizer()));
  im->model = model;
  im->model_name = std::move(model_name);
  im->store = store;
  im->safeguards = std::move(safeguards);
  return Start(std::move(im), model.get());
}

Result<std::unique_ptr<Guard>> Guard::CreateUpstream(const UpstreamOptions& upstream, std::string model_name,
                                                     Safeguards safeguards, store::Store* store) {
  if (upstream.base_url.rfind("http://", 0) != 0 && upstream.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("--upstream '" + upstream.base_url + "': expected http://host[:port]");
  }
  if (upstream.model.empty()) return Status::InvalidArgument("black-box mode needs the upstream's model name (--api-model)");
  auto im = std::make_unique<Impl>();
  im->upstream = upstream;
  im->model_name = std::move(model_name);
  im->store = store;
  im->safeguards = std::move(safeguards);
  return Start(std::move(im), nullptr);
}

const std::string& Guard::model_name() const { return impl_->model_name; }
const std::string& Guard::model_sha256() const { return impl_->model_sha256; }
const Safeguards& Guard::safeguards() const { return impl_->safeguards; }

Guard::~Guard() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (worker_.joinable()) worker_.join();
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait(lock, [&] { return impl_->active_upstream == 0; });
  }
  {  // the committer drains what the worker finished, then stops
    std::lock_guard<std::mutex> lock(impl_->commit_mu);
    impl_->commit_stopping = true;
  }
  impl_->commit_cv.notify_all();
  if (impl_->committer.joinable()) impl_->committer.join();
}

std::vector<SafeguardCounters> Guard::Counters() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->counters;
}

const Moderator* Guard::moderator() const { return impl_->moderator ? &*impl_->moderator : nullptr; }

int64_t Guard::queued() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<int64_t>(impl_->queue.size());
}

namespace {

StreamEvent ErrorEvent(Status s) {
  StreamEvent e;
  e.kind = StreamEvent::Kind::kError;
  e.error = std::move(s);
  return e;
}

}  // namespace

namespace {

// The request as the model (or the upstream) will read it: the rendered prompt and its tokens,
// the stop strings of the template, and the texts the input text safeguards read: every message
// (regexes) and the last user message (text monitors, which were trained on it).
Status Render(const Guard::Impl& im, const GuardRequest& request, Job* job, std::string* visible, std::string* last_user) {
  if (request.raw) {
    if (im.upstream) return Status::Unsupported("black-box mode serves chat completions only");
    job->rendered = *visible = *last_user = request.prompt;
    job->ids = im.model->tokenizer()->Encode(request.prompt, {});
  } else {
    for (const engine::ChatMessage& m : request.messages) {
      *visible += (visible->empty() ? "" : "\n") + m.content;
      if (m.role == "user") *last_user = m.content;
    }
    if (im.upstream) {
      nlohmann::json messages = nlohmann::json::array();
      for (const engine::ChatMessage& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
      job->rendered = messages.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      job->ids = {0};  // no tokenizer here: the upstream counts tokens
    } else if (im.format) {
      const engine::Tokenizer& tok = *im.model->tokenizer();
      WARDEN_ASSIGN_OR_RETURN(job->rendered, engine::RenderChat(*im.format, request.messages, true));
      WARDEN_ASSIGN_OR_RETURN(job->ids, engine::EncodeChat(*im.format, request.messages, true, tok));
      job->stops.push_back(engine::ChatTurnEnd(*im.format));
    } else {  // a base model: the messages as plain paragraphs
      for (const engine::ChatMessage& m : request.messages) job->rendered += (job->rendered.empty() ? "" : "\n\n") + m.content;
      job->rendered += "\n";
      job->ids = im.model->tokenizer()->Encode(job->rendered, {});
    }
  }
  job->request_text = *last_user;
  if (job->ids.empty()) return Status::InvalidArgument("the prompt is empty");
  const int64_t ctx = im.model ? im.model->config().n_ctx : INT64_MAX;
  if (static_cast<int64_t>(job->ids.size()) >= ctx) {
    return Status::InvalidArgument("the prompt is " + std::to_string(job->ids.size()) + " tokens; the model's context is " +
                                   std::to_string(ctx));
  }
  return Status::Ok();
}

}  // namespace

std::shared_ptr<Stream> Guard::Submit(GuardRequest request) {
  auto out = std::make_shared<Stream>();
  Impl& im = *impl_;
  Job job;
  job.out = out;
  job.submitted = Clock::now();
  std::string visible, last_user;
  if (Status s = Render(im, request, &job, &visible, &last_user); !s.ok()) {
    out->Push(ErrorEvent(s.WithContext(request.raw ? "prompt" : "messages")));
    return out;
  }
  job.limit = request.max_tokens > 0 ? request.max_tokens : im.safeguards.limits.max_tokens;
  for (const std::string& s : request.stop) job.stops.push_back(s);

  // Input text classifiers run here, before the request queues for the model.
  nlohmann::json scores = nlohmann::json::object();
  // Ends the request here, decided by `by`: recorded as a block (or an error), then kBlocked.
  auto stop = [&](const std::string& action, const std::string& by) {
    store::DecisionRecord r;
    r.action = action;
    r.stage = "input";
    r.monitor = by;
    r.scores_json = nlohmann::json({{"input", scores}}).dump();
    job.request = request;
    if (Status st = im.Record(job, r); !st.ok()) {
      out->Push(ErrorEvent(st));
      return out;
    }
    StreamEvent e;
    e.kind = StreamEvent::Kind::kBlocked;
    e.safeguard = by;
    e.usage.prompt_tokens = static_cast<int64_t>(job.ids.size());
    out->Push(std::move(e));
    return out;
  };
  for (size_t i = 0; i < im.input.size(); ++i) {
    const Safeguard& s = im.input[i];
    if (!s.reads_text()) continue;
    // A text monitor reads the request as it was trained to (the last user message); a regex
    // reads every message.
    const TextVerdict v = RunText(s, s.text ? last_user : visible);
    const bool over_budget = s.spec.budget_ms > 0 && v.seconds * 1000 > s.spec.budget_ms;
    scores[s.spec.name] = {{"fired", v.fired}, {"seconds", v.seconds}};
    if (v.score) scores[s.spec.name]["score"] = *v.score, scores[s.spec.name]["threshold"] = s.threshold;
    if (s.spec.watch) scores[s.spec.name]["watch"] = true;
    std::string error = v.error.empty() && over_budget ? "over its time budget of " + std::to_string(s.spec.budget_ms) + " ms" : v.error;
    {
      std::lock_guard<std::mutex> lock(im.mu);
      SafeguardCounters& c = im.Counter("input", i);
      ++c.calls, c.seconds += v.seconds;
      (!error.empty() ? c.errors : v.fired ? c.fired : c.passed) += 1;
    }
    if ((v.fired && !s.spec.watch) || !error.empty()) {
      if (!error.empty()) scores[s.spec.name]["error"] = error;
      return stop(error.empty() ? "block" : "error", s.spec.name);
    }
  }
  // In front of an upstream the text safeguards were the whole input stage: the cascade's
  // guard model comes next, here. (In front of a model it follows the probes, in the decode loop.)
  if (im.upstream && im.cascade) {
    const std::string decided = im.Escalate(job.request_text, &scores);
    if (!decided.empty()) return stop(decided, im.safeguards.cascade.name);
  }
  job.request = std::move(request);
  job.input_text = std::move(scores);  // kept in the record: a watch-mode safeguard's finding counts for its user
  {
    std::lock_guard<std::mutex> lock(im.mu);
    if (static_cast<int64_t>(im.queue.size()) >= im.safeguards.limits.max_queue) {
      out->Push(ErrorEvent(Status::ResourceExhausted("the server is busy: " + std::to_string(im.queue.size()) +
                                                     " requests are waiting (limits.max_queue)")));
      return out;
    }
    im.queue.push_back(std::move(job));
  }
  im.cv.notify_all();
  return out;
}

void Guard::Worker() {
  Impl& im = *impl_;
  if (!im.upstream) {
    im.RunDecoder();
    return;
  }
  for (;;) {
    std::vector<Job> jobs;
    {
      std::unique_lock<std::mutex> lock(im.mu);
      im.cv.wait(lock, [&] { return im.stopping || !im.queue.empty(); });
      if (im.queue.empty()) return;  // stopping, and nothing left
      for (Job& job : im.queue) jobs.push_back(std::move(job));
      im.queue.clear();
    }
    for (Job& job : jobs) {  // forwarded one by one, concurrently: the upstream batches
      {
        std::lock_guard<std::mutex> lock(im.mu);
        ++im.active_upstream;
      }
      std::thread([&im, j = std::move(job)]() mutable {
        im.RunUpstream(j);
        // Notified under the lock: once it is released the destructor may free `im`.
        std::lock_guard<std::mutex> lock(im.mu);
        --im.active_upstream;
        im.cv.notify_all();
      }).detach();
    }
  }
}

}  // namespace warden::guard
