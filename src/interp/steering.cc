#include "warden/interp/steering.h"

#include <cstring>
#include <regex>

#include <nlohmann/json.hpp>

#include "warden/base/file.h"
#include "warden/engine/gguf.h"

namespace warden::interp {
namespace {

// A little-endian GGUF v3 writer for what control vectors need: string and u32 metadata, F32
// tensors.
class GgufWriter {
 public:
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Str(const std::string& s) {
    U64(s.size());
    out_.append(s);
  }
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  void Pad(size_t align) {
    while (out_.size() % align != 0) out_.push_back('\0');
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

constexpr uint32_t kTypeU32 = 4, kTypeString = 8, kGgmlF32 = 0;
constexpr size_t kAlign = 32;

}  // namespace

Result<SteeringVector> DiffOfMeansVector(const ActivationSet& set, const std::vector<size_t>& rows) {
  SteeringVector v;
  static const std::regex resid(R"(blocks\.(\d{1,6})\.hook_resid_post)");
  for (const HookActivations& h : set.hooks) {
    std::smatch m;
    if (!std::regex_match(h.name, m, resid)) continue;
    std::vector<double> pos(static_cast<size_t>(h.values.cols), 0), neg(pos.size(), 0);
    double np = 0, nn = 0;
    for (size_t r : rows) {
      const int label = set.items[r].label;
      if (label < 0) continue;
      std::vector<double>& acc = label == 1 ? pos : neg;
      (label == 1 ? np : nn) += 1;
      const float* row = h.values.Row(static_cast<int64_t>(r));
      for (size_t j = 0; j < acc.size(); ++j) acc[j] += row[j];
    }
    if (np == 0 || nn == 0) return Status::InvalidArgument("steering vector: the rows need both labels (" +
                                                           std::to_string(static_cast<int>(np)) + " positive, " +
                                                           std::to_string(static_cast<int>(nn)) + " negative)");
    std::vector<float> d(pos.size());
    for (size_t j = 0; j < d.size(); ++j) d[j] = static_cast<float>(pos[j] / np - neg[j] / nn);
    v.directions[std::stoi(m[1].str())] = std::move(d);
  }
  if (v.directions.empty()) return Status::InvalidArgument("steering vector: no blocks.{L}.hook_resid_post in the set");
  return v;
}

Status WriteControlVector(const SteeringVector& v, const std::string& path) {
  if (v.directions.empty()) return Status::InvalidArgument("control vector: no directions");
  const size_t d = v.directions.begin()->second.size();
  for (const auto& [layer, dir] : v.directions) {
    if (dir.size() != d || layer < 0) return Status::InvalidArgument("control vector: directions differ in size");
  }
  GgufWriter w;
  w.Raw("GGUF", 4);
  w.U32(3);
  w.U64(v.directions.size());
  w.U64(4);
  w.Str("general.architecture");
  w.U32(kTypeString);
  w.Str("controlvector");
  w.Str("controlvector.model_hint");
  w.U32(kTypeString);
  w.Str(v.model_hint);
  w.Str("warden.trained_on");
  w.U32(kTypeString);
  w.Str(nlohmann::json(v.trained_on).dump());
  w.Str("controlvector.layer_count");
  w.U32(kTypeU32);
  w.U32(static_cast<uint32_t>(v.directions.rbegin()->first + 1));
  uint64_t offset = 0;
  for (const auto& [layer, dir] : v.directions) {
    w.Str("direction." + std::to_string(layer));
    w.U32(1);
    w.U64(dir.size());
    w.U32(kGgmlF32);
    w.U64(offset);
    offset += (dir.size() * 4 + kAlign - 1) / kAlign * kAlign;
  }
  w.Pad(kAlign);
  for (const auto& [layer, dir] : v.directions) {
    w.Raw(dir.data(), dir.size() * 4);
    w.Pad(kAlign);
  }
  return WriteFileAtomic(path, w.bytes());
}

Result<SteeringVector> ReadControlVector(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(auto g, engine::GgufFile::Open(path));
  WARDEN_ASSIGN_OR_RETURN(std::string arch, g->GetString("general.architecture"));
  if (arch != "controlvector") return Status::InvalidArgument(path + ": a GGUF of architecture '" + arch + "', not a control vector");
  SteeringVector v;
  auto hint = g->GetString("controlvector.model_hint");
  if (hint.ok()) v.model_hint = *hint;
  if (auto ids = g->GetString("warden.trained_on"); ids.ok()) {
    auto j = nlohmann::json::parse(*ids, nullptr, false);
    if (!j.is_array()) return Status::Corrupt(path + ": warden.trained_on is not a JSON list");
    for (const auto& id : j) {
      if (!id.is_string()) return Status::Corrupt(path + ": warden.trained_on holds a non-string");
      v.trained_on.push_back(id.get<std::string>());
    }
  }
  static const std::regex name(R"(direction\.(\d{1,6}))");
  for (const engine::TensorRef& t : g->tensors()) {
    std::smatch m;
    if (!std::regex_match(t.name, m, name)) continue;
    if (t.shape.size() != 1) return Status::Corrupt(path + ": tensor " + t.name + " is not a vector");
    std::vector<float> d(static_cast<size_t>(t.shape[0]));
    WARDEN_RETURN_IF_ERROR(engine::DequantizeToF32(t, d.data()));
    v.directions[std::stoi(m[1].str())] = std::move(d);
  }
  if (v.directions.empty()) return Status::Corrupt(path + ": no direction.N tensors");
  return v;
}

}  // namespace warden::interp
