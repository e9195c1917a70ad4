#include "tallylog/witness/hook.h"

#include "tallylog/log/verify.h"
#include "tallylog/mirror/remote_tree.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::witness {

CosignHook make_cosign_hook(std::shared_ptr<Collector> collector, std::string log_dir, Env& env) {
  return [collector = std::move(collector), log_dir = std::move(log_dir), &env](const std::string& note) -> Result<std::string> {
    TL_ASSIGN_OR_RETURN(note::Note n, note::parse_note(note));
    TL_ASSIGN_OR_RETURN(note::Checkpoint c, note::Checkpoint::parse_body(n.text));
    auto files = log::local_log_files(env, log_dir);
    mirror::RemoteTree tree(*files, log_dir, c.size);
    ConsistencyProofFn proof = [&tree](uint64_t from, uint64_t to) { return tree.consistency_proof(from, to); };
    return collector->cosign(note, proof);
  };
}

}  // namespace tallylog::witness
