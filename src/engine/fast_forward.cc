// The fast forward of the Llama family (fast_forward.h).
#include "engine/fast_forward.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

namespace warden::engine {

// Fortran BLAS, as every BLAS that LibTorch links exports it (OpenBLAS here; install-deps.sh).
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);

namespace {

std::atomic<int64_t> calls_taken{0};

// ---- the matrix-vector kernel --------------------------------------------------------------
// y[o] = W[o, :] . x for o in [begin, end), one weight row at a time with four accumulators:
// a single stream through memory at a time let the hardware prefetcher run ahead best (measured
// on the 134M model's weights, 1 thread: 39 GB/s against 31 GB/s for four rows at once).
// (GCC 12 warns that _mm512_reduce_add_ps reads an undefined register: its own intrinsic starts
// from _mm256_undefined_pd on purpose.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

__attribute__((target("avx512f,fma"))) void MatVecAvx512(const float* W, const float* x, float* y, int64_t begin,
                                                         int64_t end, int64_t in) {
  const int64_t vec = in - in % 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (in - vec)) - 1);
  for (int64_t o = begin; o < end; ++o) {
    const float* w0 = W + o * in;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 64 <= vec; i += 64) {
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), _mm512_loadu_ps(x + i), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i + 16), _mm512_loadu_ps(x + i + 16), a1);
      a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i + 32), _mm512_loadu_ps(x + i + 32), a2);
      a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i < vec; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), _mm512_loadu_ps(x + i), a0);
    if (tail) a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + vec), _mm512_maskz_loadu_ps(tail, x + vec), a1);
    y[o] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  }
}

#pragma GCC diagnostic pop

__attribute__((target("avx2,fma"))) float Sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) void MatVecAvx2(const float* W, const float* x, float* y, int64_t begin,
                                                    int64_t end, int64_t in) {
  const int64_t vec = in - in % 8;
  for (int64_t o = begin; o < end; ++o) {
    const float* w0 = W + o * in;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int64_t i = 0;
    for (; i + 16 <= vec; i += 16) {
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), _mm256_loadu_ps(x + i), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    for (; i < vec; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), _mm256_loadu_ps(x + i), a0);
    float acc = Sum8(_mm256_add_ps(a0, a1));
    for (; i < in; ++i) acc += w0[i] * x[i];
    y[o] = acc;
  }
}

void MatVecPlain(const float* W, const float* x, float* y, int64_t begin, int64_t end, int64_t in) {
  for (int64_t o = begin; o < end; ++o) {
    const float* w0 = W + o * in;
    float acc = 0;
    for (int64_t i = 0; i < in; ++i) acc += w0[i] * x[i];
    y[o] = acc;
  }
}

using MatVecFn = void (*)(const float*, const float*, float*, int64_t, int64_t, int64_t);

MatVecFn PickMatVec() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return MatVecAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return MatVecAvx2;
  return MatVecPlain;
}

const MatVecFn kMatVec = PickMatVec();

// ---- the forward's pieces -----------------------------------------------------------------

// Per-thread scratch, grown as needed and reused by every call: no allocation per operation.
struct Scratch {
  std::vector<float> x, h, q, k, v, z, attn, gate, up, scale, p, own_k, own_v;
  static Scratch& Get() {
    thread_local Scratch s;
    return s;
  }
};

float* Sized(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

// Calls the hook point with a fresh tensor holding `data` (shape `shape`) and copies back what
// the subscribers left in it. A fresh tensor, not a view: captures may keep what they get.
void Hook(const ForwardContext& ctx, HookKind kind, int layer, float* data, std::initializer_list<int64_t> shape) {
  if (ctx.hooks == nullptr) return;
  const int id = ctx.points->Id(kind, layer);
  if (!ctx.hooks->active(id)) return;
  torch::Tensor t = torch::empty(shape, torch::kFloat);
  std::memcpy(t.data_ptr<float>(), data, sizeof(float) * static_cast<size_t>(t.numel()));
  torch::Tensor out = ctx.Hook(kind, layer, t);
  TORCH_CHECK(out.sizes() == t.sizes(), "hook ", ctx.points->Name(id), " changed the activation's shape");
  out = out.to(torch::kFloat).contiguous();
  std::memcpy(data, out.data_ptr<float>(), sizeof(float) * static_cast<size_t>(t.numel()));
}

bool Watched(const ForwardContext& ctx, HookKind kind, int layer) {
  return ctx.hooks != nullptr && ctx.hooks->active(ctx.points->Id(kind, layer));
}

// out = x / rms(x) * weight per row (rows = batch * pos), with the norm's two hooks when
// subscribed (the scale sqrt(mean(x^2) + eps) [batch, pos, 1], the normalised rows [batch, pos, d]).
void RmsNormRows(const float* x, const float* weight, float* out, int64_t rows, int64_t d, double eps,
                 const ForwardContext& ctx, HookKind scale_hook, HookKind norm_hook, int layer, int64_t batch,
                 int64_t pos, Scratch& s) {
  float* scale = Sized(s.scale, rows);
  for (int64_t r = 0; r < rows; ++r) {
    double sq = 0;
    for (int64_t i = 0; i < d; ++i) sq += static_cast<double>(x[r * d + i]) * x[r * d + i];
    scale[r] = static_cast<float>(std::sqrt(sq / static_cast<double>(d) + eps));
  }
  const bool hooked = Watched(ctx, scale_hook, layer) || Watched(ctx, norm_hook, layer);
  if (hooked) {
    Hook(ctx, scale_hook, layer, scale, {batch, pos, 1});
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < d; ++i) out[r * d + i] = x[r * d + i] / scale[r];
    }
    Hook(ctx, norm_hook, layer, out, {batch, pos, d});
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < d; ++i) out[r * d + i] *= weight[i];
    }
    return;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float inv = 1.0f / scale[r];
    for (int64_t i = 0; i < d; ++i) out[r * d + i] = x[r * d + i] * inv * weight[i];
  }
}

// Hugging Face's half-split rotary embedding of `heads` heads of each row, in place.
void Rotate(float* x, int64_t rows, int64_t heads, int64_t dh, const int64_t* positions, const float* cos,
            const float* sin) {
  const int64_t half = dh / 2;
  for (int64_t r = 0; r < rows; ++r) {
    const float* c = cos + positions[r] * dh;
    const float* s = sin + positions[r] * dh;
    for (int64_t h = 0; h < heads; ++h) {
      float* v = x + (r * heads + h) * dh;
      for (int64_t i = 0; i < half; ++i) {
        const float a = v[i], b = v[i + half];
        v[i] = a * c[i] - b * s[i];
        v[i + half] = b * c[i + half] + a * s[i + half];
      }
    }
  }
}

}  // namespace

void LinearRows(const float* W, const float* Wt, const float* bias, const float* x, float* y, int64_t rows, int64_t in,
                int64_t out) {
  if (rows == 1) {
    // Threads only where each gets enough work to pay for waking it (about 64K multiply-adds).
    const int64_t grain = std::max<int64_t>(16, (int64_t{1} << 16) / std::max<int64_t>(1, in));
    at::parallel_for(0, out, grain, [&](int64_t begin, int64_t end) { kMatVec(W, x, y, begin, end, in); });
  } else {
    // Row-major Y [rows, out] = X [rows, in] W^T; in BLAS's column-major terms Y^T (out x rows)
    // is W (read as the column-major [in, out] it is, transposed) or Wt ([out, in] column-major)
    // times X^T (in x rows).
    const int m = static_cast<int>(out), n = static_cast<int>(rows), k = static_cast<int>(in);
    const float one = 1, zero = 0;
    if (Wt != nullptr) {
      sgemm_("N", "N", &m, &n, &k, &one, Wt, &m, x, &k, &zero, y, &m);
    } else {
      sgemm_("T", "N", &m, &n, &k, &one, W, &k, x, &k, &zero, y, &m);
    }
  }
  if (bias != nullptr) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t o = 0; o < out; ++o) y[r * out + o] += bias[o];
    }
  }
}

bool CanFastForward(const torch::Tensor& tokens, const ForwardContext& ctx, const torch::Tensor& weight,
                    const ModelConfig& c) {
  if (!ctx.fast_forward || tokens.dim() != 2 || tokens.size(1) < 1) return false;
  if (!weight.device().is_cpu() || weight.scalar_type() != torch::kFloat) return false;
  if (weight.requires_grad() && torch::GradMode::is_enabled()) return false;
  if (ctx.cache != nullptr && ctx.cache->keys(0).scalar_type() != torch::kFloat) return false;
  const int64_t T = tokens.size(1), S = (ctx.cache != nullptr ? ctx.cache->length() : 0) + T;
  // Several tokens per row need the causal mask, and attention by loops only pays while each
  // (row, kv head) has little work; longer prompts keep the general path's matrix products.
  if (T > 1 && (!ctx.mask.defined() || T * (c.n_heads / c.n_kv_heads) * S * c.d_head > (int64_t{1} << 17))) return false;
  if (ctx.mask.defined() && (ctx.mask.scalar_type() != torch::kFloat || !ctx.mask.is_contiguous())) return false;
  for (int l = 0; l < c.n_layers; ++l) {
    if (Watched(ctx, HookKind::kAttnScores, l) || Watched(ctx, HookKind::kPattern, l)) return false;
  }
  return true;
}

int64_t FastForwardCalls() { return calls_taken.load(); }

torch::Tensor FastForward(const ModelConfig& c, const LlamaStepWeights& w, const torch::Tensor& tokens,
                          const ForwardContext& ctx) {
  calls_taken.fetch_add(1, std::memory_order_relaxed);
  const int64_t B = tokens.size(0), T = tokens.size(1), R = B * T;
  const int64_t D = c.d_model, H = c.n_heads, KV = c.n_kv_heads, Dh = c.d_head, M = c.d_mlp;
  const int64_t G = H / KV, V = c.vocab_size;
  const int64_t slot = ctx.cache != nullptr ? ctx.cache->length() : 0, S = slot + T;
  if (ctx.cache != nullptr) {
    TORCH_CHECK(S <= ctx.cache->capacity(), "KV cache full: ", slot, " + ", T, " > capacity ", ctx.cache->capacity());
    TORCH_CHECK(ctx.cache->batch() == B, "a batch of ", B, " rows for a cache of ", ctx.cache->batch());
  }
  const torch::Tensor tok = tokens.to(torch::kLong).contiguous();
  const torch::Tensor pos = ctx.positions.to(torch::kLong).contiguous();
  const int64_t* tp = tok.data_ptr<int64_t>();
  const int64_t* pp = pos.data_ptr<int64_t>();
  for (int64_t r = 0; r < R; ++r) {
    TORCH_CHECK(pp[r] < c.n_ctx, "position ", pp[r], " is beyond the model's context of ", c.n_ctx);
  }
  // The mask [batch, 1, T, S]: row (b, t) starts at b * mb + t * mt.
  const float* mask = ctx.mask.defined() ? ctx.mask.data_ptr<float>() : nullptr;
  const int64_t mb = mask ? ctx.mask.stride(0) : 0, mt = mask ? ctx.mask.stride(2) : 0;

  Scratch& s = Scratch::Get();
  float* x = Sized(s.x, R * D);
  float* h = Sized(s.h, R * D);
  float* q = Sized(s.q, R * H * Dh);
  float* k = Sized(s.k, R * KV * Dh);
  float* v = Sized(s.v, R * KV * Dh);
  float* z = Sized(s.z, R * H * Dh);
  float* attn = Sized(s.attn, R * D);
  float* gate = Sized(s.gate, R * M);
  float* up = Sized(s.up, R * M);
  // Without a cache, this call's keys and values are all there is: [batch, kv_head, T, d_head].
  float* own_k = ctx.cache == nullptr ? Sized(s.own_k, B * KV * T * Dh) : nullptr;
  float* own_v = ctx.cache == nullptr ? Sized(s.own_v, B * KV * T * Dh) : nullptr;

  for (int64_t r = 0; r < R; ++r) std::memcpy(x + r * D, w.embed + tp[r] * D, sizeof(float) * D);
  Hook(ctx, HookKind::kEmbed, -1, x, {B, T, D});
  const float scale = 1.0f / std::sqrt(static_cast<float>(Dh));

  for (int64_t l = 0; l < c.n_layers; ++l) {
    const int L = static_cast<int>(l);
    const LlamaStepWeights::Layer& lw = w.layers[l];
    Hook(ctx, HookKind::kResidPre, L, x, {B, T, D});
    RmsNormRows(x, lw.ln1, h, R, D, c.norm_eps, ctx, HookKind::kLn1Scale, HookKind::kLn1Normalized, L, B, T, s);
    LinearRows(lw.q.w, lw.q.t, lw.q_bias, h, q, R, D, H * Dh);
    Hook(ctx, HookKind::kQ, L, q, {B, T, H, Dh});
    LinearRows(lw.k.w, lw.k.t, lw.k_bias, h, k, R, D, KV * Dh);
    Hook(ctx, HookKind::kK, L, k, {B, T, KV, Dh});
    LinearRows(lw.v.w, lw.v.t, lw.v_bias, h, v, R, D, KV * Dh);
    Hook(ctx, HookKind::kV, L, v, {B, T, KV, Dh});
    Rotate(q, R, H, Dh, pp, w.cos, w.sin);
    Hook(ctx, HookKind::kRotQ, L, q, {B, T, H, Dh});
    Rotate(k, R, KV, Dh, pp, w.cos, w.sin);
    Hook(ctx, HookKind::kRotK, L, k, {B, T, KV, Dh});

    // This call's keys and values into their slots (the cache's, or this call's own), then each
    // (row, head, query) attends over every slot, the mask keeping it causal and off padding.
    float *kp = own_k, *vp = own_v;
    int64_t kb = KV * T * Dh, kh = T * Dh, ks = Dh, vb = kb, vh = kh, vs = ks;
    if (ctx.cache != nullptr) {
      const torch::Tensor& keys = ctx.cache->keys(L);
      const torch::Tensor& values = ctx.cache->values(L);
      kp = keys.data_ptr<float>(), vp = values.data_ptr<float>();
      kb = keys.stride(0), kh = keys.stride(1), ks = keys.stride(2);
      vb = values.stride(0), vh = values.stride(1), vs = values.stride(2);
    }
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t g = 0; g < KV; ++g) {
          const int64_t from = ((b * T + t) * KV + g) * Dh;
          std::memcpy(kp + b * kb + g * kh + (slot + t) * ks, k + from, sizeof(float) * Dh);
          std::memcpy(vp + b * vb + g * vh + (slot + t) * vs, v + from, sizeof(float) * Dh);
        }
      }
    }
    at::parallel_for(0, B * H, std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, T * S * Dh)),
                     [&](int64_t begin, int64_t end) {
                       float* p = Sized(Scratch::Get().p, S);  // this thread's
                       for (int64_t bh = begin; bh < end; ++bh) {
                         const int64_t b = bh / H, hh = bh % H, g = hh / G;
                         for (int64_t t = 0; t < T; ++t) {
                           const int64_t row = ((b * T + t) * H + hh) * Dh;
                           AttendOne(q + row, kp + b * kb + g * kh, ks, vp + b * vb + g * vh, vs,
                                     mask ? mask + b * mb + t * mt : nullptr, 1, S, Dh, scale, p, z + row);
                         }
                       }
                     });
    Hook(ctx, HookKind::kZ, L, z, {B, T, H, Dh});
    LinearRows(lw.o.w, lw.o.t, nullptr, z, attn, R, H * Dh, D);
    Hook(ctx, HookKind::kAttnOut, L, attn, {B, T, D});
    for (int64_t i = 0; i < R * D; ++i) x[i] += attn[i];
    Hook(ctx, HookKind::kResidMid, L, x, {B, T, D});

    RmsNormRows(x, lw.ln2, h, R, D, c.norm_eps, ctx, HookKind::kLn2Scale, HookKind::kLn2Normalized, L, B, T, s);
    LinearRows(lw.gate.w, lw.gate.t, nullptr, h, gate, R, D, M);
    Hook(ctx, HookKind::kMlpPre, L, gate, {B, T, M});
    LinearRows(lw.up.w, lw.up.t, nullptr, h, up, R, D, M);
    Hook(ctx, HookKind::kMlpPreLinear, L, up, {B, T, M});
    for (int64_t i = 0; i < R * M; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];  // silu(gate) * up
    Hook(ctx, HookKind::kMlpPost, L, gate, {B, T, M});
    LinearRows(lw.down.w, lw.down.t, nullptr, gate, attn, R, M, D);
    Hook(ctx, HookKind::kMlpOut, L, attn, {B, T, D});
    for (int64_t i = 0; i < R * D; ++i) x[i] += attn[i];
    Hook(ctx, HookKind::kResidPost, L, x, {B, T, D});
  }
  RmsNormRows(x, w.final_norm, h, R, D, c.norm_eps, ctx, HookKind::kLnFinalScale, HookKind::kLnFinalNormalized, -1, B, T, s);
  Hook(ctx, HookKind::kUnembedIn, -1, h, {B, T, D});
  torch::Tensor logits = torch::empty({B, T, V}, torch::kFloat);
  LinearRows(w.unembed.w, w.unembed.t, nullptr, h, logits.data_ptr<float>(), R, D, V);
  if (Watched(ctx, HookKind::kUnembedOut, -1)) return ctx.Hook(HookKind::kUnembedOut, -1, logits);
  return logits;
}

}  // namespace warden::engine
