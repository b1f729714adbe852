// RFC 6962 / RFC 9162 Merkle trees over SHA-256: leaf hash SHA-256(0x00 ||
// leaf), interior SHA-256(0x01 || left || right). Root computation,
// inclusion and consistency proofs (RFC 6962 §2.1.1-2.1.2) and their
// verification (RFC 9162 §2.1.3.2, §2.1.4.2) with the strictness rules of
// transparency-dev/merkle, plus a compact range for appending.
//
// Thread safety: pure functions; CompactRange has one owner.
// Error contract: Verify* return a Status naming what did not match.
#ifndef HOTLINE_MERKLE_H_
#define HOTLINE_MERKLE_H_

#include <array>
#include <span>
#include <vector>

#include "hotline/bytes.h"

namespace hotline::merkle {

using Hash = std::array<uint8_t, 32>;

Hash LeafHash(ByteView leaf);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyRoot();  // SHA-256("")

// MTH(D[n]) over leaf hashes.
Hash RootOf(std::span<const Hash> leaves);
// PATH(index, D[n]) and PROOF(m, D[n]).
std::vector<Hash> InclusionProof(std::span<const Hash> leaves, uint64_t index);
std::vector<Hash> ConsistencyProof(std::span<const Hash> leaves, uint64_t size1);

Status VerifyInclusion(uint64_t index, uint64_t size, ByteView leaf_hash,
                       const std::vector<Bytes>& proof, ByteView root);
Status VerifyConsistency(uint64_t size1, uint64_t size2, ByteView root1, ByteView root2,
                         const std::vector<Bytes>& proof);

// The right edge of a tree being appended to: O(log n) memory, root in
// O(log n), append amortized O(1).
class CompactRange {
 public:
  void Append(const Hash& leaf);
  Hash Root() const;
  uint64_t size() const { return size_; }
  void Clear() {
    size_ = 0;
    stack_.clear();
  }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> stack_;  // perfect subtree roots, largest first
};

// An append-only tree that keeps the hash of every complete aligned
// subtree (about two hashes per leaf): the root at any earlier size and
// proofs between sizes in O(log n) lookups instead of rehashing the log.
class Tree {
 public:
  void Append(const Hash& leaf);
  // Forgets leaves from `size` on (a rolled-back append).
  void Truncate(uint64_t size);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  // MTH(D[0:size]) for size <= size().
  Hash RootAt(uint64_t size) const;
  // PATH(index, D[0:size]) and PROOF(size1, D[0:size2]), as the span versions.
  std::vector<Hash> InclusionProof(uint64_t index, uint64_t size) const;
  std::vector<Hash> ConsistencyProof(uint64_t size1, uint64_t size2) const;

 private:
  Hash RangeRoot(uint64_t begin, uint64_t end) const;  // MTH(D[begin:end])
  std::vector<std::vector<Hash>> levels_;              // levels_[j][i]: leaves [i*2^j, (i+1)*2^j)
};

}  // namespace hotline::merkle

#endif  // HOTLINE_MERKLE_H_
