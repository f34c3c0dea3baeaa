#include "engine/tokenizer/merge.h"

#include <queue>

namespace warden::engine::tokenizer_internal {
namespace {

// The symbols as a linked list; a merged-away symbol keeps len == 0.
struct Node {
  Symbol sym;
  int32_t prev;
  int32_t next;
};

std::vector<Node> Link(const std::vector<Symbol>& symbols) {
  std::vector<Node> nodes(symbols.size());
  const int32_t n = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i < n; ++i) nodes[i] = {symbols[i], i - 1, i + 1 < n ? i + 1 : -1};
  return nodes;
}

std::vector<Symbol> Survivors(const std::vector<Node>& nodes) {
  std::vector<Symbol> out;
  for (int32_t i = nodes.empty() ? -1 : 0; i != -1; i = nodes[i].next) out.push_back(nodes[i].sym);
  return out;
}

// Absorbs node `right` into node `left` (its successor) and unlinks it.
void Absorb(std::vector<Node>* nodes, int32_t left, int32_t right, int32_t new_id) {
  Node& l = (*nodes)[left];
  Node& r = (*nodes)[right];
  l.sym.len += r.sym.len;
  l.sym.id = new_id;
  r.sym.len = 0;
  l.next = r.next;
  if (r.next >= 0) (*nodes)[r.next].prev = left;
}

// A candidate pair. `size` is the pair's byte length when queued: if either side changed since,
// the lengths no longer add up (or one is 0) and the candidate is stale.
struct Candidate {
  int32_t left;
  int32_t right;
  uint32_t size;
  float score;  // MergeByScore: higher first
  int32_t rank;  // MergeByRank: lower first
  int32_t result;
};

bool Stale(const std::vector<Node>& nodes, const Candidate& c) {
  const Symbol& l = nodes[c.left].sym;
  const Symbol& r = nodes[c.right].sym;
  return l.len == 0 || r.len == 0 || l.len + r.len != c.size;
}

struct ByScore {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

struct ByRank {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

// Repeatedly applies the best queued merge (best by Order) and queues the pairs it creates.
// `propose(left, right, &candidate)` says whether two adjacent symbols may merge, and how.
template <class Order, class Propose>
std::vector<Symbol> RunMerges(const std::vector<Symbol>& symbols, Propose propose) {
  std::vector<Node> nodes = Link(symbols);
  std::priority_queue<Candidate, std::vector<Candidate>, Order> queue;
  auto consider = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    Candidate c{left, right, nodes[left].sym.len + nodes[right].sym.len, 0.0f, 0, -1};
    if (propose(nodes[left].sym, nodes[right].sym, &c)) queue.push(c);
  };
  for (size_t i = 1; i < nodes.size(); ++i) consider(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    if (Stale(nodes, c)) continue;
    Absorb(&nodes, c.left, c.right, c.result);
    consider(nodes[c.left].prev, c.left);
    consider(c.left, nodes[c.left].next);
  }
  return Survivors(nodes);
}

}  // namespace

std::vector<Symbol> MergeByScore(std::string_view text, const std::vector<Symbol>& symbols,
                                 const Vocab& vocab, float min_score) {
  return RunMerges<ByScore>(symbols, [&](const Symbol& l, const Symbol& r, Candidate* c) {
    if (!l.mergeable || !r.mergeable) return false;
    const int32_t id = vocab.Find(text.substr(l.start, l.len + r.len));
    if (id < 0 || !(vocab.at(id).score >= min_score)) return false;
    c->score = vocab.at(id).score;
    c->result = id;
    return true;
  });
}

void MergeTable::Add(int32_t left, int32_t right, int32_t result, int32_t rank) {
  map_.emplace(Key(left, right), Merge{rank, result});
}

const MergeTable::Merge* MergeTable::Find(int32_t left, int32_t right) const {
  auto it = map_.find(Key(left, right));
  return it == map_.end() ? nullptr : &it->second;
}

std::vector<Symbol> MergeByRank(const std::vector<Symbol>& symbols, const MergeTable& merges) {
  return RunMerges<ByRank>(symbols, [&](const Symbol& l, const Symbol& r, Candidate* c) {
    if (l.id < 0 || r.id < 0) return false;
    const MergeTable::Merge* m = merges.Find(l.id, r.id);
    if (m == nullptr) return false;
    c->rank = m->rank;
    c->result = m->result;
    return true;
  });
}

}  // namespace warden::engine::tokenizer_internal
