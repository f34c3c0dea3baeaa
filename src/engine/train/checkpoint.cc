// Checkpoints: model (Hugging Face safetensors), AdamW state (safetensors), train_state.json.
#include "engine/torch_pch.h"

#include "engine/train/checkpoint.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "engine/transformer.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/engine/safetensors.h"

namespace warden::engine::train {
namespace {

constexpr const char* kStateFormat = "warden-train-state/1";

std::string OptimizerKey(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

// Reads typed fields of one JSON object, keeping the first error (which names source and key).
class FieldReader {
 public:
  FieldReader(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}
  template <class T>
  void Get(const char* key, T& out) {
    if (!status_.ok()) return;
    auto it = j_.find(key);
    if (it == j_.end()) {
      status_ = Status::Corrupt(source_ + ": missing field '" + key + "'");
      return;
    }
    bool ok;
    if constexpr (std::is_same_v<T, std::string>) ok = it->is_string();
    else if constexpr (std::is_same_v<T, uint64_t>) ok = it->is_number_unsigned();
    else if constexpr (std::is_integral_v<T>) ok = it->is_number_integer();
    else ok = it->is_number();
    if (!ok) {
      status_ = Status::Corrupt(source_ + ": field '" + key + "' is " + JsonTypeName(*it));
      return;
    }
    out = it->get<T>();
  }
  const Status& status() const { return status_; }

 private:
  const nlohmann::json& j_;
  std::string source_;
  Status status_;
};

nlohmann::json OptionsToJson(const TrainOptions& o) {
  return {{"steps", o.steps}, {"batch_size", o.batch_size}, {"seq_len", o.seq_len},
          {"batching", BatchingName(o.batching)}, {"lr", o.lr}, {"min_lr", o.min_lr},
          {"warmup_steps", o.warmup_steps}, {"weight_decay", o.weight_decay}, {"beta1", o.beta1},
          {"beta2", o.beta2}, {"adam_eps", o.adam_eps}, {"grad_clip", o.grad_clip},
          {"seed", o.seed}, {"eval_every", o.eval_every}, {"checkpoint_every", o.checkpoint_every},
          {"out_dir", o.out_dir}, {"threads", o.threads}, {"stop_after", o.stop_after},
          {"data_sha256", o.data_sha256}, {"tokenizer", o.tokenizer}};
}

Result<TrainOptions> OptionsFromJson(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) return Status::Corrupt(source + ": 'options' is not an object");
  TrainOptions o;
  std::string batching;
  FieldReader r(j, source + ": options");
  r.Get("steps", o.steps), r.Get("batch_size", o.batch_size), r.Get("seq_len", o.seq_len);
  r.Get("batching", batching), r.Get("lr", o.lr), r.Get("min_lr", o.min_lr);
  r.Get("warmup_steps", o.warmup_steps), r.Get("weight_decay", o.weight_decay);
  r.Get("beta1", o.beta1), r.Get("beta2", o.beta2), r.Get("adam_eps", o.adam_eps);
  r.Get("grad_clip", o.grad_clip), r.Get("seed", o.seed), r.Get("eval_every", o.eval_every);
  r.Get("checkpoint_every", o.checkpoint_every), r.Get("out_dir", o.out_dir);
  r.Get("threads", o.threads), r.Get("stop_after", o.stop_after);
  r.Get("data_sha256", o.data_sha256), r.Get("tokenizer", o.tokenizer);
  WARDEN_RETURN_IF_ERROR(r.status());
  Result<Batching> b = BatchingFromName(batching);
  if (!b.ok()) return b.status().WithContext(source + ": options.batching");
  o.batching = *b;
  return o;
}

// Copies a stored tensor into a new fp32/int64 torch tensor (the mapping may be unaligned).
Result<torch::Tensor> ReadTensor(const SafetensorsFile& file, const std::string& name, DType dtype,
                                 const std::vector<int64_t>& shape) {
  WARDEN_ASSIGN_OR_RETURN(const TensorRef* ref, file.Get(name));
  if (ref->dtype != dtype || ref->shape != shape) {
    return Status::Corrupt(file.path() + ": tensor '" + name + "' has dtype " + DTypeName(ref->dtype) +
                           " and " + std::to_string(ref->shape.size()) +
                           " dims, not the expected dtype/shape " + DTypeName(dtype));
  }
  torch::Tensor t = torch::empty(shape, dtype == DType::kI64 ? torch::kLong : torch::kFloat);
  std::memcpy(t.data_ptr(), ref->data, ref->nbytes);
  return t;
}

}  // namespace

std::string CheckpointDir(const std::string& out_dir, int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%06lld", static_cast<long long>(step));
  return out_dir + "/" + name;
}

nlohmann::json TrainStateToJson(const TrainState& s) {
  return {{"format", kStateFormat}, {"step", s.step}, {"tokens_seen", s.tokens_seen},
          {"target_tokens", s.target_tokens}, {"flops", s.flops}, {"last_loss", s.last_loss},
          {"last_eval_loss", s.last_eval_loss}, {"init", s.init},
          {"options", OptionsToJson(s.options)}};
}

Result<TrainState> TrainStateFromJson(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) return Status::Corrupt(source + ": not a JSON object");
  TrainState s;
  std::string format;
  FieldReader r(j, source);
  r.Get("format", format), r.Get("step", s.step), r.Get("tokens_seen", s.tokens_seen);
  r.Get("target_tokens", s.target_tokens), r.Get("flops", s.flops), r.Get("last_loss", s.last_loss);
  r.Get("last_eval_loss", s.last_eval_loss), r.Get("init", s.init);
  WARDEN_RETURN_IF_ERROR(r.status());
  if (format != kStateFormat) {
    return Status::Unsupported(source + ": format '" + format + "' is not " + kStateFormat);
  }
  if (s.step < 0 || s.tokens_seen < 0) return Status::Corrupt(source + ": negative step or tokens_seen");
  if (!j.contains("options")) return Status::Corrupt(source + ": missing field 'options'");
  WARDEN_ASSIGN_OR_RETURN(s.options, OptionsFromJson(j["options"], source));
  return s;
}

Status WriteCheckpoint(const std::string& dir, const Model& model, torch::optim::AdamW& optimizer,
                       const TrainState& state) {
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) ::mkdir(dir.substr(0, slash).c_str(), 0755);
  WARDEN_RETURN_IF_ERROR(model.SaveHf(dir));

  std::vector<torch::Tensor> keep_alive;
  std::vector<TensorToWrite> tensors;
  auto add = [&](const std::string& name, torch::Tensor t, DType dtype) {
    t = t.detach().to(torch::kCPU).contiguous();
    keep_alive.push_back(t);
    tensors.push_back({name, dtype, t.sizes().vec(), t.data_ptr(),
                       static_cast<uint64_t>(t.numel() * t.element_size())});
  };
  auto& states = optimizer.state();
  for (const auto& p : model.module().named_parameters()) {
    auto it = states.find(OptimizerKey(p.value()));
    if (it == states.end()) continue;  // no step taken for it yet: nothing to save
    auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
    add(p.key() + ".exp_avg", st.exp_avg().to(torch::kFloat), DType::kF32);
    add(p.key() + ".exp_avg_sq", st.exp_avg_sq().to(torch::kFloat), DType::kF32);
    add(p.key() + ".step", torch::tensor({st.step()}, torch::kLong), DType::kI64);
  }
  WARDEN_RETURN_IF_ERROR(WriteSafetensors(dir + "/optimizer.safetensors", tensors,
                                          {{"format", "warden-adamw"}}));
  return WriteFileAtomic(dir + "/train_state.json", TrainStateToJson(state).dump(2) + "\n");
}

Status LoadOptimizerState(const std::string& dir, const Model& model, torch::optim::AdamW& optimizer) {
  const std::string path = dir + "/optimizer.safetensors";
  if (!FileExists(path)) return Status::NotFound(path + ": missing (the optimizer state)");
  WARDEN_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(path));
  auto& states = optimizer.state();
  for (const auto& p : model.module().named_parameters()) {
    const std::vector<int64_t> shape = p.value().sizes().vec();
    if (file->Find(p.key() + ".step") == nullptr) continue;  // the parameter had no step yet
    WARDEN_ASSIGN_OR_RETURN(torch::Tensor step, ReadTensor(*file, p.key() + ".step", DType::kI64, {1}));
    WARDEN_ASSIGN_OR_RETURN(torch::Tensor m, ReadTensor(*file, p.key() + ".exp_avg", DType::kF32, shape));
    WARDEN_ASSIGN_OR_RETURN(torch::Tensor v, ReadTensor(*file, p.key() + ".exp_avg_sq", DType::kF32, shape));
    if (step.item<int64_t>() < 0) return Status::Corrupt(path + ": '" + p.key() + ".step' is negative");
    auto st = std::make_unique<torch::optim::AdamWParamState>();
    st->step(step.item<int64_t>());
    st->exp_avg(m.to(p.value().options()));
    st->exp_avg_sq(v.to(p.value().options()));
    states[OptimizerKey(p.value())] = std::move(st);
  }
  return Status::Ok();
}

}  // namespace warden::engine::train

namespace warden::engine {

Result<std::string> FindCheckpoint(const std::string& dir) {
  if (FileExists(dir + "/train_state.json")) return dir;
  if (!IsDirectory(dir)) return Status::NotFound(dir + ": no such checkpoint directory");
  // The highest complete step-NNNNNN below dir (an interrupted save lacks train_state.json).
  std::string best;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.rfind("step-", 0) == 0 && name > best && FileExists(dir + "/" + name + "/train_state.json")) {
        best = name;
      }
    }
    ::closedir(d);
  }
  if (best.empty()) return Status::NotFound(dir + "/train_state.json: missing, and no step-* checkpoint below " + dir);
  return dir + "/" + best;
}

Result<TrainState> ReadTrainState(const std::string& checkpoint_dir) {
  const std::string path = checkpoint_dir + "/train_state.json";
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  WARDEN_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(text, path));
  return train::TrainStateFromJson(j, path);
}

}  // namespace warden::engine
