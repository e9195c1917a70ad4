// Test-only: a small log held in memory (leaf hashes, a log key) that signs checkpoints at any
// size and answers consistency proofs between any two sizes, for witness tests.
#pragma once

#include <string>
#include <vector>

#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/note/note.h"

namespace tallylog::witness::testing {

struct TestLog {
  note::Signer key;
  std::vector<merkle::Hash> leaves;

  explicit TestLog(const std::string& origin, size_t n = 0, const std::string& salt = "")
      : key(note::Signer::generate(origin).value()) {
    grow(n, salt);
  }
  void grow(size_t n, const std::string& salt = "") {
    for (size_t i = 0; i < n; ++i) leaves.push_back(merkle::leaf_hash(salt + "entry " + std::to_string(leaves.size())));
  }
  merkle::SubtreeHashFn subtrees() const {
    return [this](unsigned level, uint64_t index) -> Result<merkle::Hash> {
      auto first = leaves.begin() + static_cast<ptrdiff_t>(index << level);
      return merkle::root_of(std::span<const merkle::Hash>(&*first, size_t{1} << level));
    };
  }
  merkle::Hash root(uint64_t size) const { return merkle::root_from_subtrees(size, subtrees()).value(); }
  std::string checkpoint(uint64_t size) const {
    note::Checkpoint c;
    c.origin = key.name();
    c.size = size;
    c.root = root(size);
    return note::sign_checkpoint(c, key).value();
  }
  std::vector<merkle::Hash> proof(uint64_t from, uint64_t to) const {
    return merkle::consistency_proof(from, to, subtrees()).value();
  }
};

}  // namespace tallylog::witness::testing
