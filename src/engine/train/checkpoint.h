// Internal: checkpoint directories and train_state.json.
//
// A checkpoint directory (out_dir/step-NNNNNN/) holds:
//   config.json, model.safetensors  the model, Hugging Face layout (Model::SaveHf), fp32
//   optimizer.safetensors            AdamW state: "<param>.exp_avg", "<param>.exp_avg_sq" (fp32,
//                                    the parameter's shape) and "<param>.step" (I64 [1])
//   train_state.json                 TrainState: step, tokens, FLOPs, losses, options, seed
// train_state.json is written last, so a directory without it is an incomplete checkpoint.
#pragma once

#include "engine/torch_pch.h"

#include <nlohmann/json.hpp>
#include <string>

#include "warden/engine/torch/model.h"
#include "warden/engine/train.h"

namespace warden::engine::train {

// "<out_dir>/step-000123"
std::string CheckpointDir(const std::string& out_dir, int64_t step);

Status WriteCheckpoint(const std::string& dir, const Model& model, torch::optim::AdamW& optimizer,
                       const TrainState& state);

// Fills the optimizer's per-parameter state from <dir>/optimizer.safetensors; every parameter
// of `model` must be there with its shape (errors name the file and the tensor).
Status LoadOptimizerState(const std::string& dir, const Model& model, torch::optim::AdamW& optimizer);

nlohmann::json TrainStateToJson(const TrainState& state);
Result<TrainState> TrainStateFromJson(const nlohmann::json& j, const std::string& source);

}  // namespace warden::engine::train
