#include "warden/interp/sae.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "engine/torch_pch.h"
#include "interp/matrix_tensor.h"
#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/format.h"
#include "warden/base/html.h"
#include "warden/base/json.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/safetensors.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::interp {
namespace {

using Json = nlohmann::json;

// z: the k largest pre-activations, through a ReLU, the rest zero (Gao et al. 2024).
torch::Tensor EncodeT(const torch::Tensor& x, const torch::Tensor& w_enc, const torch::Tensor& b_enc,
                      const torch::Tensor& b_dec, int64_t k) {
  torch::Tensor pre = (x - b_dec).matmul(w_enc) + b_enc;
  auto top = pre.topk(k, -1);
  return torch::zeros_like(pre).scatter(-1, std::get<1>(top), torch::relu(std::get<0>(top)));
}

struct Weights {
  torch::Tensor w_enc, b_enc, w_dec, b_dec;
};
Weights Of(const Sae& s) {
  return {ToTensor(s.w_enc, {s.d_in, s.d_sae}), ToTensor(s.b_enc, {s.d_sae}), ToTensor(s.w_dec, {s.d_sae, s.d_in}),
          ToTensor(s.b_dec, {s.d_in})};
}

}  // namespace

Matrix Sae::Encode(const Matrix& x) const {
  torch::NoGradGuard g;
  Weights w = Of(*this);
  return ToMatrix(EncodeT(ToTensor(x), w.w_enc, w.b_enc, w.b_dec, k));
}

Matrix Sae::Reconstruct(const Matrix& x) const {
  torch::NoGradGuard g;
  Weights w = Of(*this);
  return ToMatrix(EncodeT(ToTensor(x), w.w_enc, w.b_enc, w.b_dec, k).matmul(w.w_dec) + w.b_dec);
}

Result<Matrix> CaptureTokenActivations(const engine::LanguageModel& lm, const std::vector<LabelledConversation>& data,
                                       const std::string& hook, const std::string& chat_format,
                                       std::vector<std::pair<size_t, int64_t>>* where,
                                       std::vector<std::vector<int32_t>>* token_ids,
                                       std::vector<std::pair<int64_t, int64_t>>* spans) {
  const engine::Tokenizer* tok = lm.tokenizer();
  if (tok == nullptr) return Status::InvalidArgument("the model has no tokenizer");
  WARDEN_ASSIGN_OR_RETURN(std::optional<engine::ChatFormat> format, engine::ResolveChatFormat(chat_format, *tok));
  const engine::Model& model = lm.model();
  WARDEN_ASSIGN_OR_RETURN(int id, model.hook_points().Find(hook));
  const std::vector<int64_t> shape = model.hook_points().Shape(id, 1, 1, 1);
  if (shape.size() != 3) return Status::InvalidArgument("hook '" + hook + "' is not [batch, pos, d]");
  Matrix out{0, shape[2], {}};
  try {
    c10::InferenceMode guard;
    for (size_t i = 0; i < data.size(); ++i) {
      std::vector<int32_t> ids;
      std::pair<int64_t, int64_t> span{0, 0};
      if (format) {
        WARDEN_ASSIGN_OR_RETURN(ids, engine::EncodeChat(*format, data[i].messages, false, *tok));
        if (data[i].messages.back().role == "assistant") {
          const std::vector<engine::ChatMessage> head(data[i].messages.begin(), data[i].messages.end() - 1);
          WARDEN_ASSIGN_OR_RETURN(std::vector<int32_t> prompt, engine::EncodeChat(*format, head, true, *tok));
          span = {static_cast<int64_t>(prompt.size()), static_cast<int64_t>(ids.size())};
        }
      } else {
        std::string text;
        for (const engine::ChatMessage& m : data[i].messages) text += (text.empty() ? "" : "\n\n") + m.content;
        ids = tok->Encode(text, {});
      }
      if (static_cast<int64_t>(ids.size()) > model.config().n_ctx) ids.resize(static_cast<size_t>(model.config().n_ctx));
      engine::Hooks hooks(model.hook_points());
      engine::ActivationCache cache;
      WARDEN_RETURN_IF_ERROR(hooks.Capture(hook, &cache));
      model.Forward(engine::ForwardBatch::LeftPadded({ids}, model.device()), nullptr, &hooks);
      WARDEN_ASSIGN_OR_RETURN(torch::Tensor act, cache.Stacked(hook));
      act = act[0].to(torch::kFloat).to(torch::kCPU).contiguous();
      out.data.insert(out.data.end(), act.data_ptr<float>(), act.data_ptr<float>() + act.numel());
      for (int64_t p = 0; p < act.size(0); ++p) {
        if (where != nullptr) where->push_back({i, p});
      }
      out.rows += act.size(0);
      if (token_ids != nullptr) token_ids->push_back(std::move(ids));
      if (spans != nullptr) spans->push_back(span);
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("token capture failed: ") + e.what());
  }
  return out;
}

Result<Sae> TrainSae(const Matrix& acts, const std::string& hook, const SaeTrainOptions& o) {
  if (acts.rows < 2 || acts.cols < 1) return Status::InvalidArgument("SAE: need at least two activation rows");
  if (o.k < 1 || o.k > o.d_sae || o.d_sae < 1) return Status::InvalidArgument("SAE: need 1 <= k <= d_sae");
  torch::manual_seed(o.seed);
  torch::Tensor X = ToTensor(acts);
  const int64_t d = acts.cols;
  // Decoder rows start as random unit vectors, the encoder as its transpose, b_dec at the
  // data's mean (Gao et al.).
  torch::Tensor w_dec = torch::randn({o.d_sae, d});
  w_dec = w_dec / w_dec.norm(2, 1, true);
  torch::Tensor w_enc = w_dec.t().clone().requires_grad_(true);
  w_dec.requires_grad_(true);
  torch::Tensor b_enc = torch::zeros({o.d_sae}).requires_grad_(true);
  torch::Tensor b_dec = X.mean(0).clone().requires_grad_(true);
  torch::optim::Adam opt({w_enc, b_enc, w_dec, b_dec}, torch::optim::AdamOptions(o.lr));
  const double var = (X - X.mean(0)).pow(2).sum(1).mean().item<double>();
  for (int step = 1; step <= o.steps; ++step) {
    torch::Tensor idx = torch::randint(acts.rows, {std::min(o.batch, acts.rows)}, torch::kLong);
    torch::Tensor x = X.index_select(0, idx);
    opt.zero_grad();
    torch::Tensor z = EncodeT(x, w_enc, b_enc, b_dec, o.k);
    torch::Tensor recon = z.matmul(w_dec) + b_dec;
    torch::Tensor loss = (recon - x).pow(2).sum(1).mean() / std::max(var, 1e-12);
    loss.backward();
    opt.step();
    {
      torch::NoGradGuard g;  // unit-norm decoder rows keep latent magnitudes comparable
      w_dec.div_(w_dec.norm(2, 1, true).clamp_min(1e-8));
    }
    if (o.progress && (step % std::max(1, o.steps / 10) == 0 || step == o.steps)) o.progress(step, loss.item<double>());
    if (!std::isfinite(loss.item<double>())) return Status::Internal("SAE: training diverged");
  }
  Sae s;
  s.d_in = d;
  s.d_sae = o.d_sae;
  s.k = o.k;
  s.hook = hook;
  s.w_enc = ToFloats(w_enc);
  s.b_enc = ToFloats(b_enc);
  s.w_dec = ToFloats(w_dec);
  s.b_dec = ToFloats(b_dec);
  return s;
}

SaeMetrics EvaluateSae(const Sae& s, const Matrix& acts) {
  torch::NoGradGuard g;
  Weights w = Of(s);
  torch::Tensor X = ToTensor(acts);
  torch::Tensor z = EncodeT(X, w.w_enc, w.b_enc, w.b_dec, s.k);
  torch::Tensor recon = z.matmul(w.w_dec) + w.b_dec;
  SaeMetrics m;
  m.mse = (recon - X).pow(2).mean().item<double>();
  m.explained_variance = 1 - (recon - X).pow(2).sum().item<double>() / (X - X.mean(0)).pow(2).sum().item<double>();
  m.l0 = (z > 0).sum(1).to(torch::kDouble).mean().item<double>();
  m.dead_fraction = ((z > 0).sum(0) == 0).to(torch::kDouble).mean().item<double>();
  return m;
}

Result<SplicedLoss> MeasureSplicedLoss(const engine::LanguageModel& lm, const Sae& s,
                                       const std::vector<std::vector<int32_t>>& sequences,
                                       const std::vector<std::pair<int64_t, int64_t>>& spans) {
  const engine::Model& model = lm.model();
  Weights w = Of(s);
  SplicedLoss out;
  double n = 0;
  try {
    c10::InferenceMode guard;
    for (size_t q = 0; q < sequences.size(); ++q) {
      const std::vector<int32_t>& ids = sequences[q];
      // Predicted tokens: [first, last) (positions of the targets).
      int64_t first = 1, last = static_cast<int64_t>(ids.size());
      if (!spans.empty()) {
        first = std::max<int64_t>(1, spans[q].first);
        last = std::min<int64_t>(last, spans[q].second);
      }
      if (last - first < 1) continue;
      engine::ForwardBatch fb = engine::ForwardBatch::LeftPadded({ids}, model.device());
      torch::Tensor targets = torch::tensor(std::vector<int64_t>(ids.begin() + first, ids.begin() + last), torch::kLong);
      auto ce = [&](const engine::Hooks* hooks) {
        torch::Tensor logits = model.Forward(fb, nullptr, hooks)[0];
        return torch::nn::functional::cross_entropy(logits.narrow(0, first - 1, last - first), targets,
                                                    torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
      };
      out.clean += ce(nullptr);
      engine::Hooks splice(model.hook_points());
      WARDEN_RETURN_IF_ERROR(splice.Add(s.hook, [&](torch::Tensor& act, const engine::HookEvent&) {
        torch::Tensor x = act.to(torch::kFloat);
        act = (EncodeT(x, w.w_enc, w.b_enc, w.b_dec, s.k).matmul(w.w_dec) + w.b_dec).to(act.scalar_type());
      }));
      out.spliced += ce(&splice);
      engine::Hooks zero(model.hook_points());
      WARDEN_RETURN_IF_ERROR(zero.ZeroAblate(s.hook));
      out.zero_ablated += ce(&zero);
      n += static_cast<double>(last - first);
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("spliced loss failed: ") + e.what());
  }
  if (n == 0) return Status::InvalidArgument("spliced loss: no sequence of two tokens or more");
  out.clean /= n;
  out.spliced /= n;
  out.zero_ablated /= n;
  return out;
}

Status SaveSaeLens(const Sae& s, const std::string& dir) {
  WARDEN_RETURN_IF_ERROR(Env::Default()->CreateDirs(dir));
  Json cfg = {{"architecture", "topk"}, {"d_in", s.d_in},         {"d_sae", s.d_sae},
              {"activation_fn_str", "topk"}, {"activation_fn_kwargs", {{"k", s.k}}},
              {"hook_name", s.hook},     {"hook_layer", -1},      {"dtype", "float32"},
              {"device", "cpu"},         {"apply_b_dec_to_input", true}, {"normalize_activations", "none"},
              {"model_name", ""},        {"context_size", 0},     {"prepend_bos", true},
              {"warden_model_sha256", s.model_sha256}, {"warden_trained_on", s.trained_on}};
  const size_t dot = s.hook.find('.');
  if (s.hook.rfind("blocks.", 0) == 0 && dot != std::string::npos) {
    cfg["hook_layer"] = std::atoi(s.hook.c_str() + dot + 1);
  }
  WARDEN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/cfg.json", cfg.dump(2) + "\n"));
  std::vector<engine::TensorToWrite> t = {
      {"W_enc", engine::DType::kF32, {s.d_in, s.d_sae}, s.w_enc.data(), s.w_enc.size() * 4},
      {"b_enc", engine::DType::kF32, {s.d_sae}, s.b_enc.data(), s.b_enc.size() * 4},
      {"W_dec", engine::DType::kF32, {s.d_sae, s.d_in}, s.w_dec.data(), s.w_dec.size() * 4},
      {"b_dec", engine::DType::kF32, {s.d_in}, s.b_dec.data(), s.b_dec.size() * 4}};
  return engine::WriteSafetensors(dir + "/sae_weights.safetensors", t);
}

Result<Sae> LoadSaeLens(const std::string& dir) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir + "/cfg.json"));
  WARDEN_ASSIGN_OR_RETURN(Json cfg, ParseJson(text, dir + "/cfg.json"));
  Sae s;
  const std::string where = dir + "/cfg.json";
  if (!cfg.is_object() || !cfg.contains("d_in") || !cfg["d_in"].is_number_integer() || !cfg.contains("d_sae") ||
      !cfg["d_sae"].is_number_integer()) {
    return Status::Corrupt(where + ": missing integer d_in / d_sae");
  }
  s.d_in = cfg["d_in"];
  s.d_sae = cfg["d_sae"];
  WARDEN_RETURN_IF_ERROR(JsonString(cfg, "hook_name", where, &s.hook));
  s.model_sha256 = cfg.value("warden_model_sha256", "");
  if (cfg.contains("warden_trained_on")) {
    if (!cfg["warden_trained_on"].is_array()) return Status::Corrupt(where + ": warden_trained_on is not a list");
    for (const Json& id : cfg["warden_trained_on"]) {
      if (!id.is_string()) return Status::Corrupt(where + ": warden_trained_on holds a non-string");
      s.trained_on.push_back(id);
    }
  }
  const std::string act = cfg.value("activation_fn_str", cfg.value("architecture", ""));
  if (act != "topk" || !cfg.contains("activation_fn_kwargs") || !cfg["activation_fn_kwargs"].is_object() ||
      !cfg["activation_fn_kwargs"].contains("k") || !cfg["activation_fn_kwargs"]["k"].is_number_integer()) {
    return Status::Unsupported(where + ": only TopK SAEs (activation_fn_str \"topk\" with a k) are supported");
  }
  s.k = cfg["activation_fn_kwargs"]["k"];
  if (s.d_in < 1 || s.d_sae < 1 || s.k < 1 || s.k > s.d_sae) return Status::Corrupt(where + ": bad d_in, d_sae or k");
  WARDEN_ASSIGN_OR_RETURN(auto f, engine::SafetensorsFile::Open(dir + "/sae_weights.safetensors"));
  struct Want {
    const char* name;
    std::vector<int64_t> shape;
    std::vector<float>* dest;
  } wants[] = {{"W_enc", {s.d_in, s.d_sae}, &s.w_enc}, {"b_enc", {s.d_sae}, &s.b_enc},
               {"W_dec", {s.d_sae, s.d_in}, &s.w_dec}, {"b_dec", {s.d_in}, &s.b_dec}};
  for (Want& w : wants) {
    WARDEN_ASSIGN_OR_RETURN(const engine::TensorRef* t, f->Get(w.name));
    if (t->shape != w.shape) return Status::Corrupt(dir + "/sae_weights.safetensors: " + w.name + " has the wrong shape for cfg.json");
    w.dest->resize(static_cast<size_t>(std::accumulate(w.shape.begin(), w.shape.end(), int64_t{1}, std::multiplies<int64_t>())));
    WARDEN_RETURN_IF_ERROR(engine::DequantizeToF32(*t, w.dest->data()));
  }
  return s;
}

std::string SaeDashboardHtml(const Sae& s, const Matrix& acts, const std::vector<std::pair<size_t, int64_t>>& where,
                             const std::vector<std::vector<int32_t>>& token_ids, const engine::Tokenizer& tok,
                             const SaeMetrics& m, int latents, int examples) {
  torch::NoGradGuard g;
  Matrix z = s.Encode(acts);
  torch::Tensor Z = ToTensor(z);
  torch::Tensor freq = (Z > 0).sum(0);
  auto order = std::get<1>(freq.topk(std::min<int64_t>(latents, s.d_sae)));
  const std::string head = StrFormat("<!doctype html><html><head><meta charset=\"utf-8\"><title>SAE %s</title><style>body{font-family:sans-serif;"
                                     "margin:2em}.tok{background:#fdd;padding:0 2px}td{padding:3px 8px;vertical-align:top}</style></head><body>"
                                     "<h1>SAE on %s</h1><p>d_in %lld, d_sae %lld, k %lld: explained variance %.3f, MSE %.5f, L0 %.1f, dead %.1f%%</p>",
                                     HtmlEscape(s.hook).c_str(), HtmlEscape(s.hook).c_str(), static_cast<long long>(s.d_in), static_cast<long long>(s.d_sae),
                                     static_cast<long long>(s.k), m.explained_variance, m.mse, m.l0, 100 * m.dead_fraction);
  std::string html = head;
  for (int64_t r = 0; r < order.size(0); ++r) {
    const int64_t latent = order[r].item<int64_t>();
    torch::Tensor col = Z.select(1, latent);
    auto top = col.topk(std::min<int64_t>(examples, col.size(0)));
    html += "<h3>latent " + std::to_string(latent) + " (fires on " + std::to_string(freq[latent].item<int64_t>()) +
            " tokens)</h3><table>";
    for (int64_t e = 0; e < std::get<0>(top).size(0); ++e) {
      const double v = std::get<0>(top)[e].item<double>();
      if (v <= 0) break;
      const auto [conv, pos] = where[static_cast<size_t>(std::get<1>(top)[e].item<int64_t>())];
      const std::vector<int32_t>& ids = token_ids[conv];
      const int64_t lo = std::max<int64_t>(0, pos - 8);
      std::string ctx = HtmlEscape(tok.Decode(std::vector<int32_t>(ids.begin() + lo, ids.begin() + pos)));
      std::string at = HtmlEscape(tok.Decode({ids[static_cast<size_t>(pos)]}));
      const int64_t hi = std::min<int64_t>(static_cast<int64_t>(ids.size()), pos + 4);
      std::string after = HtmlEscape(tok.Decode(std::vector<int32_t>(ids.begin() + pos + 1, ids.begin() + hi)));
      const std::string val = StrFormat("%.3f", v);
      html += std::string("<tr><td>") + val + "</td><td>" + ctx + "<span class=\"tok\">" + at + "</span>" + after + "</td></tr>";
    }
    html += "</table>";
  }
  return html + "</body></html>\n";
}

}  // namespace warden::interp
