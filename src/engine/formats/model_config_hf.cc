// ModelConfig <-> Hugging Face config.json (transformers' LlamaConfig, Qwen2Config, GPT2Config).
#include <cmath>
#include <limits>

#include "warden/base/json.h"
#include "warden/engine/model_config.h"

namespace warden::engine {
namespace {

using nlohmann::json;

// Reads typed fields of one config.json object; every error names the source and the field.
class Fields {
 public:
  Fields(const json& j, const std::string& source) : j_(j), source_(source) {}

  bool Has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }

  Status Error(const char* key, const std::string& problem) const {
    return Status::InvalidArgument(source_ + ": field '" + key + "' " + problem);
  }
  Status WrongType(const char* key, const char* want) const {
    return Error(key, std::string("is a JSON ") + JsonTypeName(j_[key]) + ", expected " + want);
  }

  Result<int64_t> Int(const char* key) const {
    if (!Has(key))
      return Status::InvalidArgument(source_ + ": missing required field '" + key + "'");
    const json& v = j_[key];
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Error(key, "is out of range");
      }
      return static_cast<int64_t>(v.get<uint64_t>());
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    return WrongType(key, "an integer");
  }
  Result<int64_t> Int(const char* key, int64_t fallback) const {
    return Has(key) ? Int(key) : Result<int64_t>(fallback);
  }

  Result<double> Number(const char* key, double fallback) const {
    if (!Has(key)) return fallback;
    if (!j_[key].is_number()) return WrongType(key, "a number");
    return j_[key].get<double>();
  }

  Result<bool> Bool(const char* key, bool fallback) const {
    if (!Has(key)) return fallback;
    if (!j_[key].is_boolean()) return WrongType(key, "a boolean");
    return j_[key].get<bool>();
  }

  Result<std::string> String(const char* key, const std::string& fallback) const {
    if (!Has(key)) return fallback;
    if (!j_[key].is_string()) return WrongType(key, "a string");
    return j_[key].get<std::string>();
  }

  // bos/eos ids: an integer, null (unknown: -1), or a list whose first entry is used.
  Result<int64_t> TokenId(const char* key) const {
    if (!Has(key)) return int64_t{-1};
    const json& v = j_[key];
    const json& id = v.is_array() && !v.empty() ? v[0] : v;
    if (!id.is_number_integer()) return WrongType(key, "an integer or a list of integers");
    if (id.is_number_unsigned() && id.get<uint64_t>() > uint64_t{1} << 40)
      return Error(key, "is out of range");
    return id.get<int64_t>();
  }

  const json& j() const { return j_; }

 private:
  const json& j_;
  const std::string& source_;
};

// Which architecture a config.json describes: model_type first, then architectures[0].
Result<Arch> DetectArch(const Fields& f, const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(std::string model_type, f.String("model_type", ""));
  if (model_type.empty() && f.Has("architectures")) {
    const json& a = f.j()["architectures"];
    if (!a.is_array() || a.empty() || !a[0].is_string()) {
      return f.WrongType("architectures", "a non-empty list of class names");
    }
    const std::string cls = a[0].get<std::string>();
    if (cls == "LlamaForCausalLM" || cls == "MistralForCausalLM") return Arch::kLlama;
    if (cls == "Qwen2ForCausalLM") return Arch::kQwen2;
    if (cls == "GPT2LMHeadModel") return Arch::kGpt2;
    return Status::Unsupported(source + ": architecture class '" + cls + "' is not supported");
  }
  if (model_type == "llama" || model_type == "mistral") return Arch::kLlama;
  if (model_type == "qwen2") return Arch::kQwen2;
  if (model_type == "gpt2") return Arch::kGpt2;
  if (model_type.empty()) {
    return Status::InvalidArgument(source +
                                   ": missing required field 'model_type' (or 'architectures')");
  }
  return Status::Unsupported(source + ": model_type '" + model_type +
                             "' is not supported (llama, mistral, qwen2, gpt2 are)");
}

// Features of the Llama-family configs that would change the computation. Refusing them is
// better than silently computing something else.
Status CheckLlamaFeatures(const Fields& f, const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(std::string act, f.String("hidden_act", "silu"));
  if (act != "silu")
    return Status::Unsupported(source + ": hidden_act '" + act + "' is not supported (silu is)");
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    WARDEN_ASSIGN_OR_RETURN(bool on, f.Bool(key, false));
    if (on) return Status::Unsupported(source + ": field '" + key + "' = true is not supported");
  }
  if (f.Has("rope_scaling")) {
    const json& rs = f.j()["rope_scaling"];
    if (!rs.is_object()) return f.WrongType("rope_scaling", "an object or null");
    std::string type = "?";
    for (const char* k : {"rope_type", "type"}) {
      if (rs.contains(k) && rs[k].is_string()) type = rs[k].get<std::string>();
    }
    if (type != "default") {
      return Status::Unsupported(source + ": rope_scaling of type '" + type + "' is not supported");
    }
  }
  return Status::Ok();
}

Status ReadLlamaFamily(const Fields& f, const std::string& source, ModelConfig* c) {
  WARDEN_RETURN_IF_ERROR(CheckLlamaFeatures(f, source));
  WARDEN_ASSIGN_OR_RETURN(c->d_model, f.Int("hidden_size"));
  WARDEN_ASSIGN_OR_RETURN(c->n_layers, f.Int("num_hidden_layers"));
  WARDEN_ASSIGN_OR_RETURN(c->n_heads, f.Int("num_attention_heads"));
  WARDEN_ASSIGN_OR_RETURN(c->n_kv_heads, f.Int("num_key_value_heads", c->n_heads));
  WARDEN_ASSIGN_OR_RETURN(c->d_mlp, f.Int("intermediate_size"));
  WARDEN_ASSIGN_OR_RETURN(c->n_ctx, f.Int("max_position_embeddings"));
  WARDEN_ASSIGN_OR_RETURN(c->norm_eps, f.Number("rms_norm_eps", 1e-6));
  WARDEN_ASSIGN_OR_RETURN(c->rope_theta, f.Number("rope_theta", 10000.0));
  WARDEN_ASSIGN_OR_RETURN(c->tied_embeddings, f.Bool("tie_word_embeddings", false));
  WARDEN_ASSIGN_OR_RETURN(c->d_head,
                          f.Int("head_dim", c->n_heads > 0 ? c->d_model / c->n_heads : 0));
  // Sliding-window attention equals full attention within the window, so the window bounds
  // the context instead of being implemented.
  bool sliding = c->arch == Arch::kLlama;  // mistral's window applies whenever it is set
  if (c->arch == Arch::kQwen2) {
    WARDEN_ASSIGN_OR_RETURN(sliding, f.Bool("use_sliding_window", false));
  }
  if (sliding && f.Has("sliding_window")) {
    WARDEN_ASSIGN_OR_RETURN(int64_t window, f.Int("sliding_window"));
    if (window > 0 && window < c->n_ctx) c->n_ctx = window;
  }
  return Status::Ok();
}

Status ReadGpt2(const Fields& f, const std::string& source, ModelConfig* c) {
  WARDEN_ASSIGN_OR_RETURN(std::string act, f.String("activation_function", "gelu_new"));
  if (act != "gelu_new" && act != "gelu_pytorch_tanh") {
    return Status::Unsupported(source + ": activation_function '" + act +
                               "' is not supported (gelu_new is)");
  }
  WARDEN_ASSIGN_OR_RETURN(c->d_model, f.Int("n_embd"));
  WARDEN_ASSIGN_OR_RETURN(c->n_layers, f.Int("n_layer"));
  WARDEN_ASSIGN_OR_RETURN(c->n_heads, f.Int("n_head"));
  WARDEN_ASSIGN_OR_RETURN(c->n_ctx, f.Int("n_positions"));
  WARDEN_ASSIGN_OR_RETURN(c->d_mlp, f.Int("n_inner", 4 * c->d_model));
  WARDEN_ASSIGN_OR_RETURN(c->norm_eps, f.Number("layer_norm_epsilon", 1e-5));
  c->n_kv_heads = c->n_heads;
  c->d_head = c->n_heads > 0 ? c->d_model / c->n_heads : 0;
  c->tied_embeddings = true;
  return Status::Ok();
}

}  // namespace

Result<ModelConfig> ModelConfig::FromHfConfigJson(std::string_view json_text,
                                                  const std::string& source) {
  Result<json> parsed = ParseJson(json_text, source);
  if (!parsed.ok()) return Status::InvalidArgument(parsed.status().message());
  if (!parsed->is_object())
    return Status::InvalidArgument(source + ": config is not a JSON object");
  const Fields f(*parsed, source);
  ModelConfig c;
  WARDEN_ASSIGN_OR_RETURN(c.arch, DetectArch(f, source));
  WARDEN_ASSIGN_OR_RETURN(c.vocab_size, f.Int("vocab_size"));
  if (c.arch == Arch::kGpt2) {
    WARDEN_RETURN_IF_ERROR(ReadGpt2(f, source, &c));
  } else {
    WARDEN_RETURN_IF_ERROR(ReadLlamaFamily(f, source, &c));
  }
  WARDEN_ASSIGN_OR_RETURN(c.bos_token_id, f.TokenId("bos_token_id"));
  WARDEN_ASSIGN_OR_RETURN(c.eos_token_id, f.TokenId("eos_token_id"));
  Status valid = c.Validate();
  if (!valid.ok()) return Status::InvalidArgument(source + ": " + valid.message());
  return c;
}

json ModelConfig::ToHfConfigJson() const {
  json j;
  j["vocab_size"] = vocab_size;
  j["torch_dtype"] = "float32";
  j["bos_token_id"] = bos_token_id >= 0 ? json(bos_token_id) : json(nullptr);
  j["eos_token_id"] = eos_token_id >= 0 ? json(eos_token_id) : json(nullptr);
  j["tie_word_embeddings"] = tied_embeddings;
  j["use_cache"] = true;
  if (arch == Arch::kGpt2) {
    j["architectures"] = json::array({"GPT2LMHeadModel"});
    j["model_type"] = "gpt2";
    j["n_embd"] = d_model;
    j["n_layer"] = n_layers;
    j["n_head"] = n_heads;
    j["n_positions"] = n_ctx;
    j["n_ctx"] = n_ctx;  // the pre-2020 spelling, still read by some tools
    j["n_inner"] = d_mlp;
    j["layer_norm_epsilon"] = norm_eps;
    j["activation_function"] = "gelu_new";
    return j;
  }
  j["architectures"] =
      json::array({arch == Arch::kQwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"});
  j["model_type"] = ArchName(arch);
  j["hidden_size"] = d_model;
  j["num_hidden_layers"] = n_layers;
  j["num_attention_heads"] = n_heads;
  j["num_key_value_heads"] = n_kv_heads;
  j["head_dim"] = d_head;
  j["intermediate_size"] = d_mlp;
  j["max_position_embeddings"] = n_ctx;
  j["rms_norm_eps"] = norm_eps;
  j["rope_theta"] = rope_theta;
  j["rope_scaling"] = nullptr;
  j["hidden_act"] = "silu";
  if (arch == Arch::kQwen2) {
    j["use_sliding_window"] = false;
  } else {
    j["attention_bias"] = false;
    j["mlp_bias"] = false;
  }
  return j;
}

}  // namespace warden::engine
