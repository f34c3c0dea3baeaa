// The precompiled header of the ML modules: the only place LibTorch's umbrella header is
// included. Never include this from a public header (include/warden/...).
#pragma once

#include <torch/torch.h>
