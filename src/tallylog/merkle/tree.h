// Merkle tree algorithms of RFC 6962 / RFC 9162 that do no I/O: roots, inclusion and
// consistency proofs built from a callback that returns complete-subtree hashes (the log
// answers it from its tiles), proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2), and the
// compact range (right edge) that lets a writer extend a tree holding only O(log n) hashes.
//
// Vocabulary: a complete subtree at (level, index) has 2^level leaves, the leaves
// [index << level, (index + 1) << level). Indexes are 0-based.
// Thread-safety: free functions are pure; a CompactRange is a plain value (one writer).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"

namespace tallylog::merkle {

using SubtreeHashFn = std::function<Result<Hash>(unsigned level, uint64_t index)>;

// Root of the tree of `size` leaves (empty_root() for 0); asks fn for O(log size) subtrees.
Result<Hash> root_from_subtrees(uint64_t size, const SubtreeHashFn& fn);

// RFC 6962 PATH(index, D[0:size]), leaf-to-root order.
Result<std::vector<Hash>> inclusion_proof(uint64_t index, uint64_t size, const SubtreeHashFn& fn);
// RFC 6962 PROOF(from, D[0:to]); empty when from == to or from == 0.
Result<std::vector<Hash>> consistency_proof(uint64_t from, uint64_t to, const SubtreeHashFn& fn);

// kVerificationFailed (with the reason) unless the proof shows `leaf` at `index` under `root`.
Status verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                        const Hash& root);
// kVerificationFailed unless the proof shows the tree (size1, root1) is a prefix of (size2, root2).
Status verify_consistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                          const Hash& root2);

// Root of the tree whose leaf hashes (or same-level node hashes) are `hashes` (MTH over them).
Hash root_of(std::span<const Hash> hashes);

// The right edge of a tree: one hash per set bit of size(), largest subtree first.
class CompactRange {
 public:
  CompactRange() = default;
  // Rebuilds the right edge of a tree of `size` leaves from complete subtrees.
  static Result<CompactRange> from_subtrees(uint64_t size, const SubtreeHashFn& fn);

  // Adds a leaf hash. on_node, when given, sees every complete subtree this completes
  // (level >= 1), bottom-up: the writer stores them.
  void append(const Hash& leaf, const std::function<void(unsigned level, uint64_t index, const Hash&)>& on_node = {});
  uint64_t size() const { return size_; }
  Hash root() const;
  const std::vector<Hash>& hashes() const { return hashes_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;
};

}  // namespace tallylog::merkle
