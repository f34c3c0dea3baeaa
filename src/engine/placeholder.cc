#include "engine/torch_pch.h"
