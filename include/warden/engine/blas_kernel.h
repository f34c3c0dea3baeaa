// OpenBLAS kernel selection. Torch-free.
//
// LibTorch on Debian does its fp32 matrix products through OpenBLAS, which picks a CPU-specific
// kernel when it is loaded, from CPUID. On some virtual machines CPUID names no known model and
// OpenBLAS falls back to "Prescott" (SSE3, no AVX): measured on this project's 2-core AVX-512
// VMs, torch::mm ran at 30-38 GFLOP/s with Prescott and 186 GFLOP/s with SkylakeX, and model
// training went 2-3x faster (docs/performance.md). OpenBLAS honours OPENBLAS_CORETYPE, but
// reads it only once, at load time, before main() runs, so a program can only fix the choice
// by re-executing itself with the variable set.
#pragma once

#include <string>

namespace warden::engine {

// The kernel OpenBLAS chose ("SkylakeX", "Haswell", "Prescott" ...), or "" when no OpenBLAS is
// loaded in this process.
std::string BlasCoreName();

// The kernel this CPU can run that OpenBLAS should have chosen ("SkylakeX" with AVX-512 F/CD/BW/
// DQ/VL, "Haswell" with AVX2 + FMA), or "" when the CPU has neither.
std::string BestBlasCoreForCpu();

// Call first thing in main(). When OpenBLAS chose a pre-AVX kernel on a CPU that has a better
// one and the user has not set OPENBLAS_CORETYPE, re-executes the program (same arguments) with
// OPENBLAS_CORETYPE set; otherwise returns and does nothing. Never loops: the re-executed
// process sees the variable set. If the re-exec fails, returns and the program runs as it was.
void ReexecWithBestBlasCore(char** argv);

}  // namespace warden::engine
