#include "warden/engine/llama2c.h"

#include <cstdlib>

namespace warden::engine {
namespace {

constexpr size_t kHeaderBytes = 7 * sizeof(int32_t);

struct Field {
  const char* name;
  int64_t cap;  // sanity limit, so a corrupt header cannot describe terabytes
};
// In file order.
constexpr Field kFields[7] = {{"dim", 65536},
                              {"hidden_dim", int64_t{1} << 20},
                              {"n_layers", 1024},
                              {"n_heads", 1024},
                              {"n_kv_heads", 1024},
                              {"vocab_size", int64_t{1} << 22},
                              {"seq_len", int64_t{1} << 22}};

struct Header {
  int64_t v[7];
  int64_t dim() const { return v[0]; }
  int64_t hidden() const { return v[1]; }
  int64_t layers() const { return v[2]; }
  int64_t heads() const { return v[3]; }
  int64_t kv_heads() const { return v[4]; }
  int64_t vocab() const { return std::abs(v[5]); }
  bool shared() const { return v[5] > 0; }
  int64_t seq_len() const { return v[6]; }
  int64_t head_size() const { return dim() / heads(); }
  int64_t kv_dim() const { return kv_heads() * head_size(); }
};

Result<Header> ReadHeader(const uint8_t* bytes, size_t size, const std::string& source) {
  ByteReader r(bytes, size, source);
  Header h;
  for (int i = 0; i < 7; ++i) {
    const size_t at = r.offset();
    WARDEN_ASSIGN_OR_RETURN(int32_t x, r.I32(kFields[i].name));
    h.v[i] = x;
    const int64_t magnitude = i == 5 ? std::abs(h.v[i]) : h.v[i];  // vocab's sign is a flag
    if (magnitude <= 0 || magnitude > kFields[i].cap) {
      return Status::Corrupt(source + ": header field '" + kFields[i].name + "' at byte " +
                             std::to_string(at) + " is " + std::to_string(x) +
                             (magnitude <= 0
                                  ? ", expected a positive value"
                                  : ", above the sanity limit " + std::to_string(kFields[i].cap)));
    }
  }
  auto bad = [&](const std::string& problem) {
    return Status::Corrupt(source + ": header: " + problem + " (not a llama2.c checkpoint?)");
  };
  if (h.dim() % h.heads() != 0) {
    return bad("dim " + std::to_string(h.dim()) + " is not a multiple of n_heads " +
               std::to_string(h.heads()));
  }
  if (h.heads() % h.kv_heads() != 0) {
    return bad("n_heads " + std::to_string(h.heads()) + " is not a multiple of n_kv_heads " +
               std::to_string(h.kv_heads()));
  }
  if (h.head_size() % 2 != 0) {
    return bad("head size " + std::to_string(h.head_size()) +
               " is odd; rotary embeddings need it even");
  }
  return h;
}

// The file's arrays as named tensors, in file order, with the bytes they need.
class Layout {
 public:
  // An array of `count` tensors of `shape` each (one per layer when count = L), named by `name`.
  void Add(const std::string& name, int64_t count, std::vector<int64_t> shape) {
    uint64_t numel = 1;
    for (int64_t d : shape) numel *= static_cast<uint64_t>(d);  // caps keep this < 2^48
    for (int64_t i = 0; i < count; ++i) {
      std::string n = name;
      const size_t brace = n.find("{}");
      if (brace != std::string::npos) n.replace(brace, 2, std::to_string(i));
      tensors_.push_back({n, DType::kF32, shape, nullptr, numel * 4});
      offsets_.push_back(offset_);
      offset_ += numel * 4;
    }
  }
  void Skip(uint64_t floats) { offset_ += floats * 4; }
  uint64_t bytes() const { return offset_; }
  // Only once the file is known to hold bytes() bytes after `base`.
  std::vector<TensorRef> Take(const uint8_t* base) {
    for (size_t i = 0; i < tensors_.size(); ++i) tensors_[i].data = base + offsets_[i];
    return std::move(tensors_);
  }

 private:
  uint64_t offset_ = 0;
  std::vector<TensorRef> tensors_;
  std::vector<uint64_t> offsets_;
};

Layout Lay(const Header& h) {
  const int64_t d = h.dim(), L = h.layers(), hid = h.hidden(), kv = h.kv_dim();
  const std::string layer = "model.layers.{}.";
  Layout l;
  l.Add("model.embed_tokens.weight", 1, {h.vocab(), d});
  l.Add(layer + "input_layernorm.weight", L, {d});
  l.Add(layer + "self_attn.q_proj.weight", L, {d, d});
  l.Add(layer + "self_attn.k_proj.weight", L, {kv, d});
  l.Add(layer + "self_attn.v_proj.weight", L, {kv, d});
  l.Add(layer + "self_attn.o_proj.weight", L, {d, d});
  l.Add(layer + "post_attention_layernorm.weight", L, {d});
  l.Add(layer + "mlp.gate_proj.weight", L, {hid, d});  // w1
  l.Add(layer + "mlp.down_proj.weight", L, {d, hid});  // w2
  l.Add(layer + "mlp.up_proj.weight", L, {hid, d});    // w3
  l.Add("model.norm.weight", 1, {d});
  l.Skip(2 * static_cast<uint64_t>(h.seq_len()) * static_cast<uint64_t>(h.head_size() / 2));
  if (!h.shared()) l.Add("lm_head.weight", 1, {h.vocab(), d});
  return l;
}

}  // namespace

Result<std::unique_ptr<Llama2cFile>> Llama2cFile::Open(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<Llama2cFile> f, Parse(file->data(), file->size(), path));
  f->file_ = std::move(file);
  return f;
}

Result<std::unique_ptr<Llama2cFile>> Llama2cFile::Parse(const uint8_t* bytes, size_t size,
                                                        const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(Header h, ReadHeader(bytes, size, source));
  Layout layout = Lay(h);
  const uint64_t want = kHeaderBytes + layout.bytes();
  if (size != want) {
    return Status::Corrupt(
        source + ": file is " + std::to_string(size) + " bytes but its header (dim " +
        std::to_string(h.dim()) + ", hidden_dim " + std::to_string(h.hidden()) + ", n_layers " +
        std::to_string(h.layers()) + ", vocab_size " + std::to_string(h.v[5]) + ", seq_len " +
        std::to_string(h.seq_len()) + ") describes " + std::to_string(want) + " bytes");
  }
  std::unique_ptr<Llama2cFile> f(new Llama2cFile());
  f->source_ = source;
  f->tensors_ = layout.Take(bytes + kHeaderBytes);
  ModelConfig& c = f->config_;
  c.arch = Arch::kLlama;
  c.vocab_size = h.vocab();
  c.d_model = h.dim();
  c.n_layers = h.layers();
  c.n_heads = h.heads();
  c.n_kv_heads = h.kv_heads();
  c.d_head = h.head_size();
  c.d_mlp = h.hidden();
  c.n_ctx = h.seq_len();
  c.norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.tied_embeddings = h.shared();
  Status valid = c.Validate();
  if (!valid.ok()) return Status::Corrupt(source + ": header: " + valid.message());
  return f;
}

}  // namespace warden::engine
