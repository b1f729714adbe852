#include "hotline/merkle.h"

#include <algorithm>
#include <bit>

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

void Path(std::span<const Hash> d, uint64_t m, std::vector<Hash>& out) {
  uint64_t n = d.size();
  if (n <= 1) return;
  uint64_t k = SplitPoint(n);
  if (m < k) {
    Path(d.first(k), m, out);
    out.push_back(RootOf(d.subspan(k)));
  } else {
    Path(d.subspan(k), m - k, out);
    out.push_back(RootOf(d.first(k)));
  }
}

void SubProof(std::span<const Hash> d, uint64_t m, bool complete, std::vector<Hash>& out) {
  uint64_t n = d.size();
  if (m == n) {
    if (!complete) out.push_back(RootOf(d));
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(d.first(k), m, complete, out);
    out.push_back(RootOf(d.subspan(k)));
  } else {
    SubProof(d.subspan(k), m - k, false, out);
    out.push_back(RootOf(d.first(k)));
  }
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
  if (index < leaves.size()) Path(leaves, index, out);
  return out;
}

std::vector<Hash> ConsistencyProof(std::span<const Hash> leaves, uint64_t size1) {
  std::vector<Hash> out;
  if (size1 > 0 && size1 < leaves.size()) SubProof(leaves, size1, true, out);
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

}  // namespace hotline::merkle
