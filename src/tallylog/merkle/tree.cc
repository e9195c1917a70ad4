#include "tallylog/merkle/tree.h"

#include <bit>

namespace tallylog::merkle {
namespace {

// Largest power of two strictly less than n (n >= 2).
uint64_t split_point(uint64_t n) { return std::bit_floor(n - 1); }

// MTH(D[lo:hi]) for a subtree of the RFC 6962 recursion: lo is aligned to the enclosing
// power of two, so the left parts are always complete subtrees.
Result<Hash> range_hash(uint64_t lo, uint64_t hi, const SubtreeHashFn& fn) {
  uint64_t n = hi - lo;
  if (std::has_single_bit(n) && lo % n == 0) {
    unsigned level = static_cast<unsigned>(std::countr_zero(n));
    return fn(level, lo >> level);
  }
  uint64_t k = split_point(n);
  TL_ASSIGN_OR_RETURN(Hash left, range_hash(lo, lo + k, fn));
  TL_ASSIGN_OR_RETURN(Hash right, range_hash(lo + k, hi, fn));
  return node_hash(left, right);
}

Status path(uint64_t m, uint64_t lo, uint64_t hi, const SubtreeHashFn& fn, std::vector<Hash>& out) {
  uint64_t n = hi - lo;
  if (n <= 1) return ok();
  uint64_t k = split_point(n);
  if (m < k) {
    TL_TRY(path(m, lo, lo + k, fn, out));
    TL_ASSIGN_OR_RETURN(Hash h, range_hash(lo + k, hi, fn));
    out.push_back(h);
  } else {
    TL_TRY(path(m - k, lo + k, hi, fn, out));
    TL_ASSIGN_OR_RETURN(Hash h, range_hash(lo, lo + k, fn));
    out.push_back(h);
  }
  return ok();
}

Status subproof(uint64_t m, uint64_t lo, uint64_t hi, bool b, const SubtreeHashFn& fn, std::vector<Hash>& out) {
  uint64_t n = hi - lo;
  if (m == n) {
    if (!b) {
      TL_ASSIGN_OR_RETURN(Hash h, range_hash(lo, hi, fn));
      out.push_back(h);
    }
    return ok();
  }
  uint64_t k = split_point(n);
  if (m <= k) {
    TL_TRY(subproof(m, lo, lo + k, b, fn, out));
    TL_ASSIGN_OR_RETURN(Hash h, range_hash(lo + k, hi, fn));
    out.push_back(h);
  } else {
    TL_TRY(subproof(m - k, lo + k, hi, false, fn, out));
    TL_ASSIGN_OR_RETURN(Hash h, range_hash(lo, lo + k, fn));
    out.push_back(h);
  }
  return ok();
}

std::unexpected<Error> fail(std::string msg) { return err(ErrorCode::kVerificationFailed, std::move(msg)); }

}  // namespace

Result<Hash> root_from_subtrees(uint64_t size, const SubtreeHashFn& fn) {
  if (size == 0) return empty_root();
  return range_hash(0, size, fn);
}

Result<std::vector<Hash>> inclusion_proof(uint64_t index, uint64_t size, const SubtreeHashFn& fn) {
  if (index >= size) {
    return err(ErrorCode::kInvalidArgument,
               "index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
  }
  std::vector<Hash> out;
  TL_TRY(path(index, 0, size, fn, out));
  return out;
}

Result<std::vector<Hash>> consistency_proof(uint64_t from, uint64_t to, const SubtreeHashFn& fn) {
  if (from > to) {
    return err(ErrorCode::kInvalidArgument,
               "consistency from size " + std::to_string(from) + " to smaller size " + std::to_string(to));
  }
  std::vector<Hash> out;
  if (from == 0 || from == to) return out;
  TL_TRY(subproof(from, 0, to, true, fn, out));
  return out;
}

Status verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                        const Hash& root) {
  if (index >= size) {
    return fail("inclusion: index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
  }
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return fail("inclusion: proof has too many hashes");
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return fail("inclusion: proof has too few hashes");
  if (r != root) return fail("inclusion: computed root " + hash_base64(r) + " does not match " + hash_base64(root));
  return ok();
}

Status verify_consistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                          const Hash& root2) {
  if (size2 < size1) {
    return fail("consistency: size " + std::to_string(size2) + " is smaller than " + std::to_string(size1));
  }
  // As in RFC 6962 clients and the transparency-dev vectors: the empty tree is consistent with
  // everything, so a "proof" from it proves nothing and is refused.
  if (size1 == 0) return fail("consistency: a proof from the empty tree is meaningless");
  if (size1 == size2) {
    if (!proof.empty()) return fail("consistency: proof between equal sizes must be empty");
    if (root1 != root2) return fail("consistency: equal sizes with different roots");
    return ok();
  }
  if (proof.empty()) return fail("consistency: empty proof");
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return fail("consistency: proof has too many hashes");
    if ((fn & 1) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return fail("consistency: proof has too few hashes");
  if (fr != root1) return fail("consistency: proof does not lead to the first root");
  if (sr != root2) return fail("consistency: proof does not lead to the second root");
  return ok();
}

Hash root_of(std::span<const Hash> hashes) {
  if (hashes.empty()) return empty_root();
  if (hashes.size() == 1) return hashes[0];
  size_t k = static_cast<size_t>(split_point(hashes.size()));
  return node_hash(root_of(hashes.subspan(0, k)), root_of(hashes.subspan(k)));
}

Result<CompactRange> CompactRange::from_subtrees(uint64_t size, const SubtreeHashFn& fn) {
  CompactRange c;
  c.size_ = size;
  uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    uint64_t bit = uint64_t{1} << level;
    if (!(size & bit)) continue;
    TL_ASSIGN_OR_RETURN(Hash h, fn(static_cast<unsigned>(level), start >> level));
    c.hashes_.push_back(h);
    start += bit;
  }
  return c;
}

void CompactRange::append(const Hash& leaf,
                          const std::function<void(unsigned level, uint64_t index, const Hash&)>& on_node) {
  Hash h = leaf;
  uint64_t index = size_;
  unsigned level = 0;
  // Each trailing 1 bit of size_ is a subtree that the new leaf completes a sibling for.
  while ((size_ >> level) & 1) {
    h = node_hash(hashes_.back(), h);
    hashes_.pop_back();
    ++level;
    index >>= 1;
    if (on_node) on_node(level, index, h);
  }
  hashes_.push_back(h);
  ++size_;
}

Hash CompactRange::root() const {
  if (hashes_.empty()) return empty_root();
  Hash r = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) r = node_hash(hashes_[i], r);
  return r;
}

}  // namespace tallylog::merkle
