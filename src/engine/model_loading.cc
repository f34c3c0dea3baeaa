// Model::Load: detect the format, read the config, map every parameter from the file (with
// dtype conversion and layout transforms), find the tokenizer.
#include <cstring>

#include "engine/transformer.h"
#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/engine/gguf.h"
#include "warden/engine/llama2c.h"
#include "warden/engine/safetensors.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {
namespace {

// A stored tensor as a float32 torch tensor of its (outermost-first) shape.
Result<torch::Tensor> ToTorch(const TensorRef& ref) {
  void* data = const_cast<uint8_t*>(ref.data);  // read-only: every path below copies
  switch (ref.dtype) {
    case DType::kF32: return torch::from_blob(data, ref.shape, torch::kFloat).clone();
    case DType::kF16: return torch::from_blob(data, ref.shape, torch::kHalf).to(torch::kFloat);
    case DType::kBF16: return torch::from_blob(data, ref.shape, torch::kBFloat16).to(torch::kFloat);
    default: {
      torch::Tensor out = torch::empty(ref.shape, torch::kFloat);
      WARDEN_RETURN_IF_ERROR(DequantizeToF32(ref, out.data_ptr<float>()));
      return out;
    }
  }
}

std::string ShapeString(c10::IntArrayRef s) { return c10::str(s); }

Result<torch::Tensor> Transform(torch::Tensor t, const TensorSpec& spec, const std::string& src) {
  switch (spec.transform) {
    case TensorSpec::Transform::kNone: return t;
    case TensorSpec::Transform::kTranspose:
      if (t.dim() != 2) return Status::Corrupt(src + ": tensor '" + spec.name + "' is not 2-D");
      return t.t().contiguous();
    case TensorSpec::Transform::kUnpermuteRotary: {
      // Rows of each head are ordered (x0, y0, x1, y1, ...) in interleaved-pair rotary layouts;
      // Hugging Face orders them (x0, x1, ..., y0, y1, ...).
      int64_t heads = spec.rotary_heads, rows = t.size(0);
      if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0) {
        return Status::Corrupt(src + ": tensor '" + spec.name + "' has " + std::to_string(rows) +
                               " rows, not a whole number of rotary heads (" + std::to_string(heads) + ")");
      }
      auto shape = t.sizes().vec();
      int64_t rest = t.numel() / rows;
      return t.reshape({heads, rows / heads / 2, 2, rest}).transpose(1, 2).reshape(shape).contiguous();
    }
  }
  return t;
}

// The file tensor for `param`, or nullptr if the file (legitimately or not) lacks it.
const TensorRef* FindForParam(const WeightFile& file, const std::string& param, const TensorSpec& spec) {
  if (file.format() != "safetensors") return spec.name.empty() ? nullptr : file.Find(spec.name);
  if (const TensorRef* r = file.Find(param)) return r;
  // Some published GPT-2 checkpoints drop the "transformer." prefix.
  const std::string prefix = "transformer.";
  if (param.compare(0, prefix.size(), prefix) == 0) return file.Find(param.substr(prefix.size()));
  return nullptr;
}

Status LoadParameters(CausalLmImpl& module, const WeightFile& file) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters()) {
    const std::string& param = p.key();
    TensorSpec spec = file.format() == "safetensors" ? TensorSpec{param}
                                                     : module.SpecFor(param, file.format());
    const TensorRef* ref = FindForParam(file, param, spec);
    if (ref == nullptr) {
      return Status::NotFound(file.path() + ": no tensor " +
                              (spec.name.empty() ? "" : "'" + spec.name + "' ") +
                              "for parameter '" + param + "'");
    }
    WARDEN_ASSIGN_OR_RETURN(torch::Tensor t, ToTorch(*ref));
    WARDEN_ASSIGN_OR_RETURN(t, Transform(t, spec, file.path()));
    if (t.sizes() != p.value().sizes()) {
      return Status::Corrupt(file.path() + ": tensor '" + ref->name + "' has shape " +
                             ShapeString(t.sizes()) + " but the config needs " +
                             ShapeString(p.value().sizes()) + " for '" + param + "'");
    }
    if (!torch::isfinite(t).all().item<bool>()) {
      return Status::Corrupt(file.path() + ": tensor '" + ref->name + "' holds NaN or infinity");
    }
    p.value().copy_(t);
  }
  return Status::Ok();
}

bool HasGgufMagic(const std::string& path) {
  auto f = Env::Default()->NewSequentialFile(path);
  std::string magic;
  if (!f.ok() || !(*f)->Read(4, &magic).ok()) return false;
  return magic.size() == 4 && std::memcmp(magic.data(), "GGUF", 4) == 0;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}


}  // namespace

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const LoadOptions& opts) {
  if (!FileExists(path)) return Status::NotFound(path + ": no such file or directory");
  std::unique_ptr<WeightFile> file;
  ModelConfig config;
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<std::string> weight_files;
  if (IsDirectory(path) || EndsWith(path, ".safetensors")) {
    std::string dir = IsDirectory(path) ? path : DirOf(path);
    WARDEN_ASSIGN_OR_RETURN(std::string json, ReadFileToString(dir + "/config.json"));
    WARDEN_ASSIGN_OR_RETURN(config, ModelConfig::FromHfConfigJson(json, dir + "/config.json"));
    if (IsDirectory(path)) {
      WARDEN_ASSIGN_OR_RETURN(auto d, SafetensorsDir::Open(dir));
      file = std::move(d);
    } else {
      WARDEN_ASSIGN_OR_RETURN(auto f, SafetensorsFile::Open(path));
      file = std::move(f);
    }
    if (FileExists(dir + "/tokenizer.json")) {
      WARDEN_ASSIGN_OR_RETURN(tokenizer, LoadHfTokenizerJson(dir + "/tokenizer.json"));
    }
  } else if (HasGgufMagic(path)) {
    WARDEN_ASSIGN_OR_RETURN(auto gguf, GgufFile::Open(path));
    WARDEN_ASSIGN_OR_RETURN(config, ModelConfig::FromGguf(*gguf));
    if (gguf->Find("tokenizer.ggml.tokens") != nullptr) {
      WARDEN_ASSIGN_OR_RETURN(tokenizer, LoadGgufTokenizer(*gguf));
    }
    file = std::move(gguf);
  } else {
    WARDEN_ASSIGN_OR_RETURN(auto l2c, Llama2cFile::Open(path));
    config = l2c->config();
    for (const std::string& name : {std::string("tokenizer.bin"),
                                    "tok" + std::to_string(config.vocab_size) + ".bin"}) {
      std::string candidate = DirOf(path) + "/" + name;
      if (opts.tokenizer_path.empty() && FileExists(candidate)) {
        WARDEN_ASSIGN_OR_RETURN(tokenizer, LoadLlama2cTokenizer(candidate, config.vocab_size));
      }
    }
    file = std::move(l2c);
  }
  WARDEN_RETURN_IF_ERROR(config.Validate().WithContext(path));
  if (!opts.tokenizer_path.empty()) {
    WARDEN_ASSIGN_OR_RETURN(tokenizer, LoadTokenizer(opts.tokenizer_path,
                                                     static_cast<int32_t>(config.vocab_size)));
  }
  if (tokenizer && tokenizer->vocab_size() > config.vocab_size) {
    return Status::InvalidArgument(path + ": tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                                   " tokens but the model's vocabulary is " +
                                   std::to_string(config.vocab_size));
  }

  std::unique_ptr<Model> m(new Model());
  m->config_ = config;
  m->module_ = MakeArchitecture(config);
  WARDEN_RETURN_IF_ERROR(LoadParameters(*m->module_, *file));
  m->module_->to(opts.device, opts.dtype);
  m->module_->eval();
  m->dtype_ = opts.dtype;
  m->device_ = opts.device;
  m->hook_points_ = std::make_unique<HookPoints>(config);
  m->tokenizer_ = std::move(tokenizer);
  m->source_path_ = path;
  m->source_format_ = file->format();
  for (const TensorRef& r : file->tensors()) ++m->stored_dtypes_[DTypeName(r.dtype)];
  m->weight_files_ = file->files();
  return m;
}

}  // namespace warden::engine
