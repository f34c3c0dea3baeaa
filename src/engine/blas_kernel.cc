// OpenBLAS kernel selection (blas_kernel.h).
#include "warden/engine/blas_kernel.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <set>

namespace warden::engine {

std::string BlasCoreName() {
  using CoreName = char* (*)();
  auto fn = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (fn == nullptr) return "";
  const char* name = fn();
  return name != nullptr ? name : "";
}

std::string BestBlasCoreForCpu() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return "";
}

void ReexecWithBestBlasCore(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  // Kernels from before AVX2: a CPU with AVX2 or AVX-512 runs several times slower on them.
  static const std::set<std::string> kOld = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                             "Atom",     "Sandybridge", "Katmai", "Coppermine", "Northwood"};
  const std::string current = BlasCoreName();
  const std::string best = BestBlasCoreForCpu();
  if (current.empty() || best.empty() || kOld.count(current) == 0) return;
  if (setenv("OPENBLAS_CORETYPE", best.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OPENBLAS_CORETYPE");  // exec failed: carry on as we were
}

}  // namespace warden::engine
