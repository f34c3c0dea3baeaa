#include "warden/engine/torch/hooks.h"

#include <fnmatch.h>

#include <sstream>

namespace warden::engine {
namespace {

struct KindInfo {
  HookKind kind;
  const char* suffix;  // name after "blocks.{L}." for layer kinds, the full name otherwise
};

constexpr KindInfo kKinds[] = {
    {HookKind::kEmbed, "hook_embed"},
    {HookKind::kPosEmbed, "hook_pos_embed"},
    {HookKind::kLnFinalScale, "ln_final.hook_scale"},
    {HookKind::kLnFinalNormalized, "ln_final.hook_normalized"},
    {HookKind::kUnembedIn, "unembed.hook_in"},
    {HookKind::kUnembedOut, "unembed.hook_out"},
    {HookKind::kResidPre, "hook_resid_pre"},
    {HookKind::kAttnOut, "hook_attn_out"},
    {HookKind::kResidMid, "hook_resid_mid"},
    {HookKind::kMlpOut, "hook_mlp_out"},
    {HookKind::kResidPost, "hook_resid_post"},
    {HookKind::kQ, "attn.hook_q"},
    {HookKind::kK, "attn.hook_k"},
    {HookKind::kV, "attn.hook_v"},
    {HookKind::kZ, "attn.hook_z"},
    {HookKind::kAttnScores, "attn.hook_attn_scores"},
    {HookKind::kPattern, "attn.hook_pattern"},
    {HookKind::kRotQ, "attn.hook_rot_q"},
    {HookKind::kRotK, "attn.hook_rot_k"},
    {HookKind::kLn1Scale, "ln1.hook_scale"},
    {HookKind::kLn1Normalized, "ln1.hook_normalized"},
    {HookKind::kLn2Scale, "ln2.hook_scale"},
    {HookKind::kLn2Normalized, "ln2.hook_normalized"},
    {HookKind::kMlpPre, "mlp.hook_pre"},
    {HookKind::kMlpPreLinear, "mlp.hook_pre_linear"},
    {HookKind::kMlpPost, "mlp.hook_post"},
};
static_assert(sizeof(kKinds) / sizeof(kKinds[0]) == kNumGlobalHookKinds + kNumLayerHookKinds);

bool KindExists(HookKind k, Arch arch) {
  bool rotary = arch != Arch::kGpt2;
  switch (k) {
    case HookKind::kPosEmbed: return !rotary;
    case HookKind::kRotQ:
    case HookKind::kRotK: return rotary;
    case HookKind::kMlpPreLinear: return rotary;  // the gated (SwiGLU) architectures
    default: return true;
  }
}

}  // namespace

HookPoints::HookPoints(const ModelConfig& config)
    : config_(config), n_layers_(static_cast<int>(config.n_layers)) {
  names_.resize(size());
  exists_.resize(size());
  for (int k = 0; k < kNumGlobalHookKinds; ++k) {
    names_[k] = kKinds[k].suffix;
    exists_[k] = KindExists(kKinds[k].kind, config.arch);
  }
  for (int layer = 0; layer < n_layers_; ++layer) {
    for (int k = kNumGlobalHookKinds; k < kNumGlobalHookKinds + kNumLayerHookKinds; ++k) {
      int id = Id(kKinds[k].kind, layer);
      names_[id] = "blocks." + std::to_string(layer) + "." + kKinds[k].suffix;
      exists_[id] = KindExists(kKinds[k].kind, config.arch);
    }
  }
}

HookKind HookPoints::Kind(int id) const {
  if (id < kNumGlobalHookKinds) return static_cast<HookKind>(id);
  return static_cast<HookKind>(kNumGlobalHookKinds + (id - kNumGlobalHookKinds) % kNumLayerHookKinds);
}

int HookPoints::Layer(int id) const {
  return id < kNumGlobalHookKinds ? -1 : (id - kNumGlobalHookKinds) / kNumLayerHookKinds;
}

Result<int> HookPoints::Find(std::string_view name) const {
  for (int id = 0; id < size(); ++id) {
    if (exists_[id] && names_[id] == name) return id;
  }
  return Status::InvalidArgument("unknown hook name '" + std::string(name) + "' for this " +
                                 ArchName(config_.arch) + " model with " +
                                 std::to_string(n_layers_) +
                                 " layers (`warden hooks --model MODEL` lists the valid names)");
}

Result<std::vector<int>> HookPoints::Match(std::string_view pattern) const {
  std::vector<int> ids;
  std::vector<bool> seen(size(), false);
  std::stringstream ss{std::string(pattern)};
  std::string part;
  bool any_part = false;
  while (std::getline(ss, part, ',')) {
    // trim
    size_t b = part.find_first_not_of(" \t"), e = part.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    part = part.substr(b, e - b + 1);
    any_part = true;
    bool is_glob = part.find_first_of("*?[") != std::string::npos;
    if (!is_glob) {
      WARDEN_ASSIGN_OR_RETURN(int id, Find(part));
      if (!seen[id]) ids.push_back(id), seen[id] = true;
      continue;
    }
    size_t before = ids.size();
    for (int id = 0; id < size(); ++id) {
      if (exists_[id] && !seen[id] && fnmatch(part.c_str(), names_[id].c_str(), 0) == 0) {
        ids.push_back(id);
        seen[id] = true;
      }
    }
    if (ids.size() == before) {
      return Status::InvalidArgument("hook pattern '" + part + "' matches no hook point of this " +
                                     std::string(ArchName(config_.arch)) + " model");
    }
  }
  if (!any_part) return Status::InvalidArgument("empty hook pattern");
  return ids;
}

std::vector<std::string> HookPoints::AllNames() const {
  std::vector<std::string> out;
  for (int id = 0; id < size(); ++id) {
    if (exists_[id]) out.push_back(names_[id]);
  }
  return out;
}

int HookPoints::PosAxis(HookKind kind) {
  return (kind == HookKind::kAttnScores || kind == HookKind::kPattern) ? 2 : 1;
}

std::vector<int64_t> HookPoints::Shape(int id, int64_t batch, int64_t pos, int64_t k_pos) const {
  const ModelConfig& c = config_;
  switch (Kind(id)) {
    case HookKind::kQ:
    case HookKind::kRotQ:
    case HookKind::kZ: return {batch, pos, c.n_heads, c.d_head};
    case HookKind::kK:
    case HookKind::kV:
    case HookKind::kRotK: return {batch, pos, c.n_kv_heads, c.d_head};
    case HookKind::kAttnScores:
    case HookKind::kPattern: return {batch, c.n_heads, pos, k_pos};
    case HookKind::kLn1Scale:
    case HookKind::kLn2Scale:
    case HookKind::kLnFinalScale: return {batch, pos, 1};
    case HookKind::kMlpPre:
    case HookKind::kMlpPreLinear:
    case HookKind::kMlpPost: return {batch, pos, c.d_mlp};
    case HookKind::kUnembedOut: return {batch, pos, c.vocab_size};
    default: return {batch, pos, c.d_model};
  }
}

// ---------------------------------------------------------------------------------------------

void ActivationCache::Append(const std::string& name, const torch::Tensor& act) {
  torch::Tensor copy = keep_device_ ? act.detach().clone() : act.detach().to(torch::kCPU).clone();
  for (auto& [n, chunks] : entries_) {
    if (n == name) {
      chunks.push_back(std::move(copy));
      return;
    }
  }
  entries_.push_back({name, {std::move(copy)}});
}

bool ActivationCache::Has(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.first == name) return true;
  }
  return false;
}

std::vector<std::string> ActivationCache::Names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

const std::vector<torch::Tensor>& ActivationCache::Chunks(const std::string& name) const {
  static const std::vector<torch::Tensor> kEmpty;
  for (const auto& e : entries_) {
    if (e.first == name) return e.second;
  }
  return kEmpty;
}

Result<torch::Tensor> ActivationCache::Stacked(const std::string& name) const {
  const auto& chunks = Chunks(name);
  if (chunks.empty()) return Status::NotFound("activation cache has no hook '" + name + "'");
  bool attn = name.find("hook_attn_scores") != std::string::npos ||
              name.find("hook_pattern") != std::string::npos;
  if (!attn) return torch::cat(chunks, /*dim=*/1);
  int64_t k_len = chunks.back().size(3);
  std::vector<torch::Tensor> padded;
  for (const auto& c : chunks) {
    padded.push_back(torch::constant_pad_nd(c, {0, k_len - c.size(3)}, 0.0));
  }
  return torch::cat(padded, /*dim=*/2);
}

// ---------------------------------------------------------------------------------------------

Hooks::Hooks(const HookPoints& points) : points_(points), fns_(points.size()) {}

Status Hooks::Add(std::string_view pattern, HookFn fn) {
  if (!fn) return Status::InvalidArgument("empty hook function");
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> ids, points_.Match(pattern));
  for (int id : ids) {
    if (fns_[id].empty()) ++n_active_;
    fns_[id].push_back(fn);
  }
  return Status::Ok();
}

Status Hooks::AddVector(std::string_view pattern, torch::Tensor vec, double scale) {
  return Add(pattern, [vec = std::move(vec), scale](torch::Tensor& act, const HookEvent&) {
    act = act + vec.to(act.device(), act.scalar_type()) * scale;
  });
}

Status Hooks::ZeroAblate(std::string_view pattern, std::optional<int64_t> head) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> ids, points_.Match(pattern));
  for (int id : ids) {
    HookKind k = points_.Kind(id);
    bool head_axis = k == HookKind::kQ || k == HookKind::kK || k == HookKind::kV ||
                     k == HookKind::kZ || k == HookKind::kRotQ || k == HookKind::kRotK ||
                     k == HookKind::kAttnScores || k == HookKind::kPattern;
    if (head && !head_axis) {
      return Status::InvalidArgument("hook '" + points_.Name(id) + "' has no head axis to ablate");
    }
  }
  const HookPoints& points = points_;
  return Add(pattern, [head, &points](torch::Tensor& act, const HookEvent& ev) {
    if (!head) {
      act = torch::zeros_like(act);
      return;
    }
    // [batch, head, q, k] for attention scores/patterns, [batch, pos, head, d_head] otherwise.
    int axis = HookPoints::PosAxis(points.Kind(ev.id)) == 2 ? 1 : 2;
    TORCH_CHECK(*head >= 0 && *head < act.size(axis), "head ", *head, " out of range for ", ev.name);
    act = act.clone();
    act.select(axis, *head).zero_();
  });
}

Status Hooks::MeanAblate(std::string_view pattern, torch::Tensor mean) {
  return Add(pattern, [mean = std::move(mean)](torch::Tensor& act, const HookEvent&) {
    act = mean.to(act.device(), act.scalar_type()).expand_as(act).clone();
  });
}

Status Hooks::PatchFrom(std::string_view pattern, const ActivationCache& source) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> ids, points_.Match(pattern));
  // Snapshot the source now: the hook must not depend on the cache outliving it.
  auto stacked = std::make_shared<std::vector<torch::Tensor>>(points_.size());
  for (int id : ids) {
    if (!source.Has(points_.Name(id))) {
      return Status::NotFound("patch source has no activation for '" + points_.Name(id) + "'");
    }
    WARDEN_ASSIGN_OR_RETURN((*stacked)[id], source.Stacked(points_.Name(id)));
  }
  const HookPoints& points = points_;
  return Add(pattern, [stacked, &points](torch::Tensor& act, const HookEvent& ev) {
    const torch::Tensor& src = (*stacked)[ev.id];
    const int axis = HookPoints::PosAxis(points.Kind(ev.id));
    const int64_t n = act.size(axis);
    if (ev.offset + n > src.size(axis) || src.size(0) != act.size(0)) {
      throw Error(Status::InvalidArgument(
          "patch source for '" + ev.name + "' covers " + std::to_string(src.size(axis)) +
          " positions x batch " + std::to_string(src.size(0)) + ", run needs positions [" +
          std::to_string(ev.offset) + ", " + std::to_string(ev.offset + n) + ") x batch " +
          std::to_string(act.size(0))));
    }
    torch::Tensor piece = src.narrow(axis, ev.offset, n);
    if (axis == 2) piece = piece.narrow(3, 0, std::min(piece.size(3), act.size(3)));
    if (piece.sizes() != act.sizes()) {
      throw Error(Status::InvalidArgument("patch source for '" + ev.name + "' has shape " +
                                          c10::str(piece.sizes()) + ", activation has " +
                                          c10::str(act.sizes())));
    }
    act = piece.to(act.device(), act.scalar_type());
  });
}

Status Hooks::Capture(std::string_view pattern, ActivationCache* cache) {
  if (cache == nullptr) return Status::InvalidArgument("Capture: null cache");
  return Add(pattern, [cache](torch::Tensor& act, const HookEvent& ev) { cache->Append(ev.name, act); });
}

void Hooks::Run(int id, torch::Tensor& act, int64_t offset, bool decode,
                const torch::Tensor& positions) const {
  HookEvent ev{id, points_.Name(id), points_.Layer(id), offset, decode, positions};
  for (const HookFn& fn : fns_[id]) {
    auto before = act.sizes().vec();
    fn(act, ev);
    if (act.sizes() != c10::IntArrayRef(before)) {
      throw Error(Status::InvalidArgument("hook on '" + ev.name + "' changed the shape from " +
                                          c10::str(c10::IntArrayRef(before)) + " to " +
                                          c10::str(act.sizes())));
    }
  }
}

}  // namespace warden::engine
