// Independent verification of a published log directory: recomputes the whole tree from the
// entry bundles alone and checks every hash tile (full, the partials the checkpoint implies and
// any other partial present), every partial entry bundle, and the checkpoint's signature.
// Nothing is repaired; the first difference is reported with the file and index. A temporary
// left inside a partial-tile directory by an older version's interrupted write
// ("<W>.tmp.<pid>.<n>") is reported, not an error; any other unknown file there is an error.
//
// Memory is independent of the log size (one bundle and the right edge at a time).
// verify_log is pure apart from the LogFiles it is given; LogFiles implementations are used by
// one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/note/note.h"

namespace tallylog::log {

class LogStorage;

// Read access to a published log directory, by paths relative to it ("tile/0/000").
class LogFiles {
 public:
  virtual ~LogFiles() = default;
  virtual Result<std::string> read(const std::string& rel_path) = 0;  // kNotFound when absent
  // Names in a directory (empty if it does not exist), or nullopt when the source cannot list
  // directories (e.g. plain HTTP), in which case only the partials the checkpoint implies are checked.
  virtual std::optional<std::vector<std::string>> list(const std::string& rel_dir) = 0;
};

std::unique_ptr<LogFiles> local_log_files(Env& env, std::string log_dir);
// The published files of a log storage driver; `storage` must outlive the result.
std::unique_ptr<LogFiles> storage_log_files(const LogStorage& storage);

struct VerifyReport {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
  uint64_t tiles_checked = 0;     // hash tile files, full and partial
  uint64_t bundles_checked = 0;   // entry bundle files, full and partial
  uint64_t beyond_checkpoint = 0; // partial files wider than the checkpoint implies (not checked)
  // Temporaries of interrupted writes by older versions (not part of the log; removed when the
  // log is next opened for writing), paths relative to the log.
  std::vector<std::string> leftover_temporaries;
  // Partials of tiles and bundles that are full in the checked tree (checked, and deletable).
  std::vector<std::string> superseded_partials;
};

// A tree size and root hash the caller already trusts.
struct TreeHead {
  uint64_t size = 0;
  merkle::Hash root{};
};

struct VerifyOptions {
  std::function<void(uint64_t done, uint64_t total)> progress;
  // A checkpoint seen earlier (signed note text), e.g. by a monitor: it must verify with the
  // same key, not be larger than the current one ("size shrinks") and have the root of the
  // current tree at its size (the log was not rewritten).
  std::string previous_checkpoint;
  // Called with every entry, in log order, once its bundle has been read and parsed (for passes
  // over the entries that should not read the log a second time, e.g. verify's device
  // signatures); an error stops the verification.
  std::function<Status(uint64_t index, std::string_view entry)> on_entry;
};

// kVerificationFailed / kCorrupt / kNotFound with a message naming the file and index.
Result<VerifyReport> verify_log(LogFiles& files, const note::Verifier& key, const VerifyOptions& options);
Result<VerifyReport> verify_log(LogFiles& files, const note::Verifier& key,
                                const std::function<void(uint64_t done, uint64_t total)>& progress = {});

// The same checks against a tree head instead of the stored checkpoint (e.g. the writer's tree
// rebuilt from its journal at open); `previous`, if given, must be a prefix of it.
Result<VerifyReport> verify_tree(LogFiles& files, const TreeHead& head, const std::optional<TreeHead>& previous,
                                 const std::function<void(uint64_t done, uint64_t total)>& progress = {},
                                 const std::function<Status(uint64_t index, std::string_view entry)>& on_entry = {});

}  // namespace tallylog::log
