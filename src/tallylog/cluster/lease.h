// Several `tallylog serve` nodes on one log kept in PostgreSQL (issue 15, docs/deploy.md): exactly
// one node, the sequencer, appends; the others (followers) answer reads from the same log and
// their own derived index, and answer writes 503 naming the sequencer.
//
// The lease is a PostgreSQL session-level advisory lock held on a connection of its own: the
// database releases it the moment that connection ends (the node crashed, was killed, lost the
// network), so another node can take it at once. Taking it bumps the epoch in tl_sequencer, and
// the new sequencer opens the log fenced by that epoch (store/store.h): a node that lost the lease
// without knowing it can never write again, whatever it still has in flight.
//
// A Watch is a LISTEN on tl_checkpoint, NOTIFYed by every checkpoint the sequencer publishes and
// by every change of sequencer: followers wake on it instead of polling the database.
//
// Thread-safety: a Lease or a Watch is used by one thread (the node's controller).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tallylog/base/error.h"

namespace tallylog::cluster {

// Who holds the lease, as tl_sequencer records it (url and node as the holder advertised them).
struct Sequencer {
  uint64_t epoch = 0;  // 0: no node ever held it
  std::string url;     // where to submit, e.g. "http://10.0.0.5:8080/"
  std::string node;    // the holder's name
};

// The current row of tl_sequencer in the log store at `url`.
Result<Sequencer> current_sequencer(const std::string& url);

class Lease {
 public:
  explicit Lease(std::string store_url);
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Tries once to take the lease. Taken: the new epoch (tl_sequencer now names `advertise` and
  // `node`, and followers are notified). Another node holds it: nullopt. A database that cannot
  // be reached: kUnavailable.
  Result<std::optional<uint64_t>> try_acquire(const std::string& advertise, const std::string& node);
  // Whether the lease taken is still held: the lock's connection answers and was never
  // re-established (a new connection holds no lock). kUnavailable when it is lost.
  Status check();
  // Gives the lease up (closes the lock's connection); idempotent.
  void release();
  bool held() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Watch {
 public:
  explicit Watch(std::string store_url);
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // Waits up to `timeout` for a notification. true: something changed (a checkpoint or a new
  // sequencer), or the connection was re-established (a notification may have been missed);
  // false: nothing within the timeout. kUnavailable while the database cannot be reached (the
  // call still waits out its timeout, so a caller's loop does not spin).
  Result<bool> wait(std::chrono::milliseconds timeout);
  // Stops listening (the next wait() listens again and reports a change). A node that stops
  // reading its notifications must close: PostgreSQL keeps every notification queued until each
  // listener has read it, and a full queue makes NOTIFY (the sequencer's checkpoints) fail.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tallylog::cluster
