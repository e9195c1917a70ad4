// `tallylog mirror`: an incremental C2SP tlog-tiles client that keeps a verified copy of a log.
//
// Each run: reads the source's checkpoint and checks its signature with the key given out of band
// (and its witness cosignatures, when a policy is given); proves it consistent with the checkpoint
// mirrored before and with the largest one seen before; fetches only the entry bundles and hash
// tiles added since; recomputes every leaf hash and every tile from the entries and compares them
// with the tiles served; checks the root against the checkpoint; with `blobs`, fetches the sheet
// images the new entries name and checks each SHA-256. Only then it publishes the new checkpoint
// in the mirror. The mirror directory is a read-only tallylog data directory:
//
//   <dir>/log/          tiles, entry bundles and the checkpoint, as published by the source
//   <dir>/log.vkey      the key given out of band
//   <dir>/blobs/        sheet images (with blobs)
//   <dir>/mirror.json   the mirror's state: source, key, the largest checkpoint seen
//   <dir>/lock          held while a mirror runs (as a log writer holds it)
//
// Crash safety: files are written through <dir>/.tmp/ and renamed into place; log/checkpoint is
// replaced (fsync'd) only after every file it needs is durable, so a reader never sees a
// checkpoint whose tiles are missing, and a run killed at any point resumes where it was. The
// largest checkpoint seen is recorded before any entry is fetched (as in C2SP tlog-mirror), so a
// split view is caught even across an interrupted run.
//
// A checkpoint inconsistent with one seen before stops the run with outcome kFork and a fork
// evidence file (fork_evidence.h) in <dir>/. Malformed checkpoints, proofs, tiles or bundles
// are errors naming the URL (or path) and the check that failed; the mirror is left as it was.
// One run at a time per directory (the lock); not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/note/cosignature.h"

namespace tallylog::mirror {

struct MirrorOptions {
  // http(s)://host[:port][/path] of a server (the log under <path>/log) or of the log prefix itself,
  // or a local data directory (holding log/) or log directory.
  std::string source;
  std::string dir;   // the mirror
  std::string vkey;  // the log's verifier key, as published out of band
  bool blobs = false;
  note::WitnessPolicy witnesses;  // cosignatures to report; quorum > 0 makes a shortfall an error
  std::string ca_file;            // trusted CAs for https (empty: the system's)
  std::function<void(std::string_view line)> progress;  // optional, one line per step
};

struct MirrorReport {
  enum class Outcome {
    kUpdated,       // the mirror now holds the source's checkpoint
    kUpToDate,      // nothing new
    kSourceBehind,  // the source serves an older checkpoint, consistent with the mirror
    kFork,          // the source's checkpoint contradicts one seen before: see fork_evidence_path
  };
  Outcome outcome = Outcome::kUpToDate;
  std::string origin;
  std::string source;  // the log prefix actually read
  uint64_t old_size = 0;
  uint64_t new_size = 0;  // the mirror's size after the run
  uint64_t source_size = 0;
  merkle::Hash root{};
  uint64_t bundles_fetched = 0;
  uint64_t tiles_fetched = 0;        // hash tiles read to check the new entries
  uint64_t proof_tiles_fetched = 0;  // hash tiles read for the consistency proof
  uint64_t bytes_fetched = 0;
  uint64_t blobs_fetched = 0;
  uint64_t blobs_missing = 0;  // named by entries but absent at the source (retried next run)
  size_t consistency_proof_hashes = 0;
  std::optional<note::PolicyCheck> witnesses;
  std::string checkpoint;  // the mirror's checkpoint note after the run
  std::string fork_evidence_path;
  std::string fork_explanation;
};

Result<MirrorReport> run_mirror(const MirrorOptions& options, Env& env = Env::posix());

}  // namespace tallylog::mirror
