// Attention for a few query positions in one loop over raw fp32 rows (transformer.h).
//
// A decode step asks, per batch row and head, for one query against the cached keys. LibTorch's
// CPU bmm turns that into one small gemm per (row, kv head), each behind several tensor
// operations (select, as_strided, resolve_conj), and those cost more than the arithmetic: with
// 16 rows of a 4-head model, bmm was the largest item of a decode step in LibTorch's profiler,
// and the step is 15-25% faster without it (docs/performance.md). Here the scores, the
// softmax and the weighted sum of values run in one pass per (row, head, query), reading the
// cache in place through its strides.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/transformer.h"

namespace warden::engine {
namespace {

// exp of eight floats (Cephes' expf: range reduction by ln 2, a degree-6 polynomial, the
// exponent set directly; within 2 ulp), 0 below -87.3 (a masked score is -infinity).
__attribute__((target("avx2,fma"))) __m256 Exp8(__m256 x) {
  const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  for (float c : {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f}) {
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(c));
  }
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(y, _mm256_castsi256_ps(e)));
}

// AttendOne for heads of 8 (stories260K and other tiny models) with AVX2: eight keys' dot
// products per pass through a tree of horizontal adds, the softmax's exp eight at a time, one
// fused multiply-add per value row. A score per key, one by one, was most of a tiny model's decode step.
__attribute__((target("avx2,fma"))) void AttendEight(const float* __restrict q, const float* __restrict k, int64_t ks,
                                                     const float* __restrict v, int64_t vs, const float* __restrict mask,
                                                     int64_t S, float scale, float* __restrict p, float* __restrict z) {
  const __m256 qv = _mm256_mul_ps(_mm256_loadu_ps(q), _mm256_set1_ps(scale));
  int64_t s = 0;
  for (; s + 8 <= S; s += 8) {
    __m256 d[8];
    for (int j = 0; j < 8; ++j) d[j] = _mm256_mul_ps(_mm256_loadu_ps(k + (s + j) * ks), qv);
    // [keys 0-3: lanes 0-3 summed | keys 0-3: lanes 4-7 summed], then the same for keys 4-7.
    const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(d[0], d[1]), _mm256_hadd_ps(d[2], d[3]));
    const __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(d[4], d[5]), _mm256_hadd_ps(d[6], d[7]));
    __m256 scores = _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
    if (mask != nullptr) scores = _mm256_add_ps(scores, _mm256_loadu_ps(mask + s));
    _mm256_storeu_ps(p + s, scores);
  }
  for (; s < S; ++s) {
    float dot = 0;
    for (int j = 0; j < 8; ++j) dot += q[j] * k[s * ks + j];
    p[s] = dot * scale + (mask != nullptr ? mask[s] : 0.0f);
  }
  float top = -std::numeric_limits<float>::infinity();
  for (int64_t t = 0; t < S; ++t) top = std::max(top, p[t]);
  __m256 total8 = _mm256_setzero_ps();
  int64_t t = 0;
  for (; t + 8 <= S; t += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_loadu_ps(p + t), _mm256_set1_ps(top)));
    _mm256_storeu_ps(p + t, e);
    total8 = _mm256_add_ps(total8, e);
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, total8);
  float total = 0;
  for (float x : lanes) total += x;
  for (; t < S; ++t) total += (p[t] = std::exp(p[t] - top));
  __m256 acc = _mm256_setzero_ps();
  for (int64_t u = 0; u < S; ++u) acc = _mm256_fmadd_ps(_mm256_set1_ps(p[u]), _mm256_loadu_ps(v + u * vs), acc);
  _mm256_storeu_ps(z, _mm256_mul_ps(acc, _mm256_set1_ps(1.0f / total)));
}

bool HasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const bool kAvx2Fma = HasAvx2Fma();

}  // namespace

// One query row against S keys: z = softmax(q.k * scale + mask) . v. `p` holds S floats of
// scratch. Loops in blocks of sixteen floats let the compiler use wide vector registers at -O2;
// target_clones builds the loop for AVX-512, AVX2 and plain x86-64 and picks one at load time.
// Heads of 8 with a unit-stride mask take AttendEight where the CPU has AVX2.
void AttendOneGeneral(const float* __restrict q, const float* __restrict k, int64_t ks, const float* __restrict v,
                      int64_t vs, const float* __restrict mask, int64_t ms, int64_t S, int64_t Dh, float scale,
                      float* __restrict p, float* __restrict z);

void AttendOne(const float* __restrict q, const float* __restrict k, int64_t ks, const float* __restrict v,
               int64_t vs, const float* __restrict mask, int64_t ms, int64_t S, int64_t Dh, float scale,
               float* __restrict p, float* __restrict z) {
  if (Dh == 8 && kAvx2Fma && (mask == nullptr || ms == 1)) {
    AttendEight(q, k, ks, v, vs, mask, S, scale, p, z);
    return;
  }
  AttendOneGeneral(q, k, ks, v, vs, mask, ms, S, Dh, scale, p, z);
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void AttendOneGeneral(const float* __restrict q, const float* __restrict k, int64_t ks, const float* __restrict v,
                      int64_t vs, const float* __restrict mask, int64_t ms, int64_t S, int64_t Dh, float scale,
                      float* __restrict p, float* __restrict z) {
  constexpr int64_t kLanes = 16;
  float top = -std::numeric_limits<float>::infinity();
  for (int64_t s = 0; s < S; ++s) {
    const float* krow = k + s * ks;
    float acc[kLanes] = {};
    int64_t d = 0;
    for (; d + kLanes <= Dh; d += kLanes) {
      for (int64_t j = 0; j < kLanes; ++j) acc[j] += q[d + j] * krow[d + j];
    }
    for (; d + kLanes / 2 <= Dh; d += kLanes / 2) {  // heads of 8 (stories260K) in one 8-wide step
      for (int64_t j = 0; j < kLanes / 2; ++j) acc[j] += q[d + j] * krow[d + j];
    }
    // Halving the partial sums in place (16 -> 8 -> 4 -> 2 -> 1) keeps the reduction in vector
    // registers; summing them one by one was the loop's slowest part.
    for (int64_t w = kLanes / 2; w >= 1; w /= 2) {
      for (int64_t j = 0; j < w; ++j) acc[j] += acc[j + w];
    }
    float dot = acc[0];
    for (; d < Dh; ++d) dot += q[d] * krow[d];
    const float score = dot * scale + (mask != nullptr ? mask[s * ms] : 0.0f);
    p[s] = score;
    top = std::max(top, score);
  }
  float total = 0;
  for (int64_t s = 0; s < S; ++s) total += (p[s] = std::exp(p[s] - top));
  std::fill(z, z + Dh, 0.0f);
  const float inv = 1.0f / total;
  for (int64_t s = 0; s < S; ++s) {
    if (p[s] == 0.0f) continue;  // a masked slot: exp(-inf) is exactly 0
    const float w = p[s] * inv;
    const float* vrow = v + s * vs;
    int64_t d = 0;
    for (; d + kLanes <= Dh; d += kLanes) {
      for (int64_t j = 0; j < kLanes; ++j) z[d + j] += w * vrow[d + j];
    }
    for (; d + kLanes / 2 <= Dh; d += kLanes / 2) {
      for (int64_t j = 0; j < kLanes / 2; ++j) z[d + j] += w * vrow[d + j];
    }
    for (; d < Dh; ++d) z[d] += w * vrow[d];
  }
}

bool CanFuseAttention(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& mask) {
  auto plain = [](const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat && !t.requires_grad() && t.stride(-1) == 1;
  };
  // Little work per (row, kv head): there one loop beats a gemm behind its per-call overhead
  // (bench/attention_bench: the zoo's decode steps and short prompts). With more work per pair
  // (long contexts, several query heads per kv head) the gemm reuses each key across queries and
  // wins; those keep the general path.
  const int64_t queries = q.size(1) * (q.size(2) / keys.size(1)), work = queries * keys.size(2) * keys.size(3);
  return plain(q) && plain(keys) && (!mask.defined() || mask.scalar_type() == torch::kFloat) && work <= (int64_t{1} << 14);
}

torch::Tensor FusedAttention(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
                             const torch::Tensor& mask) {
  const int64_t B = q.size(0), T = q.size(1), H = q.size(2), Dh = q.size(3);
  const int64_t KV = keys.size(1), S = keys.size(2), G = H / KV;
  const torch::Tensor qc = q.contiguous();
  const torch::Tensor vc = values.stride(-1) == 1 ? values : values.contiguous();
  torch::Tensor z = torch::empty({B, T, H, Dh}, q.options());
  const float* qp = qc.data_ptr<float>();
  const float* kp = keys.data_ptr<float>();
  const float* vp = vc.data_ptr<float>();
  const float* mp = mask.defined() ? mask.data_ptr<float>() : nullptr;
  float* zp = z.data_ptr<float>();
  const int64_t kb = keys.stride(0), kh = keys.stride(1), ks = keys.stride(2);
  const int64_t vb = vc.stride(0), vh = vc.stride(1), vs = vc.stride(2);
  const int64_t mb = mp ? mask.stride(0) : 0, mt = mp ? mask.stride(2) : 0, ms = mp ? mask.stride(3) : 0;
  const float scale = 1.0f / std::sqrt(static_cast<float>(Dh));

  at::parallel_for(0, B * H, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> p(static_cast<size_t>(S));
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / H, h = bh % H, g = h / G;
      for (int64_t t = 0; t < T; ++t) {
        AttendOne(qp + ((b * T + t) * H + h) * Dh, kp + b * kb + g * kh, ks, vp + b * vb + g * vh, vs,
                  mp ? mp + b * mb + t * mt : nullptr, ms, S, Dh, scale, p.data(), zp + ((b * T + t) * H + h) * Dh);
      }
    }
  });
  return z;
}

}  // namespace warden::engine
