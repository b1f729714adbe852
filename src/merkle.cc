#include "hotline/merkle.h"

#include <algorithm>
#include <bit>
#include <functional>

#include "hotline/crypto.h"

namespace hotline::merkle {
namespace {

uint64_t SplitPoint(uint64_t n) {  // largest power of two smaller than n (n >= 2)
  return std::bit_floor(n - 1);
}

Hash ToHash(ByteView b) {
  Hash h{};
  std::copy_n(b.begin(), h.size(), h.begin());
  return h;
}

// The proofs of RFC 6962 §2.1.1-2.1.2 over the leaves [begin, end), with
// `root(b, e)` giving MTH(D[b:e]); every range asked for starts at a
// multiple of its largest power-of-two part, which Tree answers from its
// levels.
using RangeRoot = std::function<Hash(uint64_t, uint64_t)>;

void Path(uint64_t begin, uint64_t end, uint64_t m, const RangeRoot& root, std::vector<Hash>& out) {
  uint64_t n = end - begin;
  if (n <= 1) return;
  uint64_t k = SplitPoint(n);
  if (m < k) {
    Path(begin, begin + k, m, root, out);
    out.push_back(root(begin + k, end));
  } else {
    Path(begin + k, end, m - k, root, out);
    out.push_back(root(begin, begin + k));
  }
}

void SubProof(uint64_t begin, uint64_t end, uint64_t m, bool complete, const RangeRoot& root,
              std::vector<Hash>& out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!complete) out.push_back(root(begin, end));
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(begin, begin + k, m, complete, root, out);
    out.push_back(root(begin + k, end));
  } else {
    SubProof(begin + k, end, m - k, false, root, out);
    out.push_back(root(begin, begin + k));
  }
}

RangeRoot RootsOf(std::span<const Hash> leaves) {
  return [leaves](uint64_t b, uint64_t e) { return RootOf(leaves.subspan(b, e - b)); };
}

// Number of proof nodes for an inclusion proof of `index` in `size`.
size_t InclusionProofLength(uint64_t index, uint64_t size) {
  uint64_t inner = static_cast<uint64_t>(std::bit_width(index ^ (size - 1)));
  uint64_t border = static_cast<uint64_t>(std::popcount(index >> inner));
  return static_cast<size_t>(inner + border);
}

}  // namespace

Hash LeafHash(ByteView leaf) {
  static constexpr uint8_t kLeaf = 0x00;
  Sha256Digest d = Sha256({ByteView(&kLeaf, 1), leaf});
  return d;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  static constexpr uint8_t kNode = 0x01;
  return Sha256({ByteView(&kNode, 1), left, right});
}

Hash EmptyRoot() { return Sha256({}); }

Hash RootOf(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyRoot();
  CompactRange r;
  for (const Hash& h : leaves) r.Append(h);
  return r.Root();
}

std::vector<Hash> InclusionProof(std::span<const Hash> leaves, uint64_t index) {
  std::vector<Hash> out;
  if (index < leaves.size()) Path(0, leaves.size(), index, RootsOf(leaves), out);
  return out;
}

std::vector<Hash> ConsistencyProof(std::span<const Hash> leaves, uint64_t size1) {
  std::vector<Hash> out;
  if (size1 > 0 && size1 < leaves.size())
    SubProof(0, leaves.size(), size1, true, RootsOf(leaves), out);
  return out;
}

Status VerifyInclusion(uint64_t index, uint64_t size, ByteView leaf_hash,
                       const std::vector<Bytes>& proof, ByteView root) {
  if (index >= size) return InvalidArgumentError("leaf index beyond the tree size");
  if (leaf_hash.size() != 32 || root.size() != 32) return InvalidArgumentError("hash is not 32 bytes");
  if (proof.size() != InclusionProofLength(index, size)) {
    return DataLossError("inclusion proof has the wrong length");
  }
  uint64_t fn = index, sn = size - 1;
  Hash r = ToHash(leaf_hash);
  for (const Bytes& p : proof) {  // RFC 9162 §2.1.3.2
    if (p.size() != 32) return InvalidArgumentError("proof node is not 32 bytes");
    if (sn == 0) return DataLossError("inclusion proof too long");
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(ToHash(p), r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, ToHash(p));
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return DataLossError("inclusion proof too short");
  if (!ConstantTimeEqual(r, root)) return DataLossError("inclusion proof does not lead to the root");
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, ByteView root1, ByteView root2,
                         const std::vector<Bytes>& proof) {
  if (size1 == 0) return InvalidArgumentError("consistency from an empty tree is meaningless");
  if (size1 > size2) return InvalidArgumentError("first tree is larger than the second");
  if (size1 == size2) {
    if (!proof.empty()) return DataLossError("consistency proof between equal sizes must be empty");
    if (!ConstantTimeEqual(root1, root2)) return DataLossError("same size, different roots (a fork)");
    return Status::Ok();
  }
  if (proof.empty()) return DataLossError("empty consistency proof");
  if (root1.size() != 32 || root2.size() != 32) return InvalidArgumentError("root is not 32 bytes");
  for (const Bytes& p : proof) {
    if (p.size() != 32) return InvalidArgumentError("proof node is not 32 bytes");
  }
  // RFC 9162 §2.1.4.2.
  std::vector<Bytes> path = proof;
  if (std::has_single_bit(size1)) path.insert(path.begin(), Bytes(root1.begin(), root1.end()));
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = ToHash(path[0]), sr = ToHash(path[0]);
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) return DataLossError("consistency proof too long");
    Hash c = ToHash(path[i]);
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return DataLossError("consistency proof too short");
  if (!ConstantTimeEqual(fr, root1)) return DataLossError("consistency proof does not match the old root");
  if (!ConstantTimeEqual(sr, root2)) return DataLossError("consistency proof does not match the new root");
  return Status::Ok();
}

void CompactRange::Append(const Hash& leaf) {
  Hash h = leaf;
  // Merge while the lowest subtree has the same size as the new one: the
  // number of merges is the number of trailing ones of the old size.
  for (uint64_t s = size_; (s & 1) == 1; s >>= 1) {
    h = NodeHash(stack_.back(), h);
    stack_.pop_back();
  }
  stack_.push_back(h);
  ++size_;
}

Hash CompactRange::Root() const {
  if (stack_.empty()) return EmptyRoot();
  Hash r = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) r = NodeHash(stack_[i], r);
  return r;
}

void Tree::Append(const Hash& leaf) {
  Hash h = leaf;
  for (size_t level = 0;; ++level) {
    if (levels_.size() == level) levels_.emplace_back();
    levels_[level].push_back(h);
    if (levels_[level].size() % 2 == 1) return;
    const auto& row = levels_[level];
    h = NodeHash(row[row.size() - 2], row.back());
  }
}

void Tree::Truncate(uint64_t size) {
  for (size_t level = 0; level < levels_.size(); ++level) {
    uint64_t keep = size >> level;
    if (levels_[level].size() > keep) levels_[level].resize(keep);
  }
}

Hash Tree::RangeRoot(uint64_t begin, uint64_t end) const {
  uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if (std::has_single_bit(n) && begin % n == 0) {
    auto level = static_cast<size_t>(std::countr_zero(n));
    return levels_[level][begin >> level];
  }
  uint64_t k = std::has_single_bit(n) ? n / 2 : SplitPoint(n);  // n > 1 here
  return NodeHash(RangeRoot(begin, begin + k), RangeRoot(begin + k, end));
}

Hash Tree::RootAt(uint64_t size) const { return RangeRoot(0, std::min(size, this->size())); }

std::vector<Hash> Tree::InclusionProof(uint64_t index, uint64_t size) const {
  std::vector<Hash> out;
  size = std::min(size, this->size());
  if (index < size)
    Path(
        0, size, index, [this](uint64_t b, uint64_t e) { return RangeRoot(b, e); }, out);
  return out;
}

std::vector<Hash> Tree::ConsistencyProof(uint64_t size1, uint64_t size2) const {
  std::vector<Hash> out;
  size2 = std::min(size2, size());
  if (size1 > 0 && size1 < size2) {
    SubProof(
        0, size2, size1, true, [this](uint64_t b, uint64_t e) { return RangeRoot(b, e); }, out);
  }
  return out;
}

}  // namespace hotline::merkle
