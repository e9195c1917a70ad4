// `tallylog publish <data> <dir>`: the whole results site as static files (publish/publish.h,
// docs/deploy.md "A static site behind a CDN"). Wiring only: the data directory is opened for
// reading as `serve` opens a read-only copy, and the results come from the same http::Api.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tallylog/blob/blob_store.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/cli/web_dir.h"
#include "tallylog/election/contest.h"
#include "tallylog/http/api.h"
#include "tallylog/http/static_files.h"
#include "tallylog/ingest/contest.h"
#include "tallylog/ingest/read_only.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/note/cosignature.h"
#include "tallylog/publish/publish.h"
#include "tallylog/store/shared_blobs.h"
#include "tallylog/store/store.h"

namespace tallylog::cli {
namespace {

struct PublishArgs {
  std::string data_dir;
  std::string out_dir;
  std::string web_dir;
  bool no_web = false;
  std::vector<std::string> witnesses;  // keys to declare in api/v1/witnesses.json
  size_t witness_quorum = 0;
};

// GET /api/v1/witnesses of the static site: the witnesses declared with --witness and what the
// published checkpoint carries from them. The live fields of `serve`'s answer (each witness's
// last cosigned size, errors) belong to the log's server and are not in a static copy.
std::string witnesses_json(const std::vector<note::CosignatureVerifier>& keys, size_t quorum,
                           const std::string& checkpoint) {
  note::WitnessPolicy policy{keys, quorum};
  const note::PolicyCheck check = value_or_exit(note::check_witness_policy(checkpoint, policy));
  uint64_t size = 0;
  if (auto n = note::parse_note(checkpoint))
    if (auto c = note::Checkpoint::parse_body(n->text)) size = c->size;
  using Json = nlohmann::json;
  Json out = {
      {"quorum", quorum},
      {"checkpoint",
       {{"size", size}, {"cosignatures", check.cosigned.size()}, {"quorum_met", check.met}}},
      {"witnesses", Json::array()}};
  for (const auto& k : keys) {
    out["witnesses"].push_back(
        {{"key", k.name() + "+" + note::hex8(k.key_id())}, {"vkey", k.text()}});
  }
  return out.dump();
}

void run_publish(const PublishArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  // Read-only, as `serve` opens a copy without log.key: the checkpoint is read first, so every
  // tile it commits to is on disk before anything is copied.
  auto log = value_or_exit(store::open_reader(a.data_dir));
  auto storage = value_or_exit(store::open_storage(a.data_dir));  // the tiles, wherever they are
  election::Election full;
  if (auto f = ingest::logged_election(*log)) full = std::move(*f);
  ingest::ReadOnlyOptions ro;
  if (!full.contests.empty()) ro.contest = full.contests.front().id;
  ingest::ReadOnlyData data = value_or_exit(ingest::open_for_reading(a.data_dir, ro));
  if (!data.note.empty()) std::cerr << "tallylog: " << data.note << "\n";
  std::vector<ingest::ReadOnlyData> others;
  std::vector<http::ApiContest> contests;
  for (const election::Contest& c : full.contests) {
    http::ApiContest ac{c.id, c.name, data.index.get(), nullptr, {}};
    if (c.id != data.contest) {
      ingest::ReadOnlyOptions o;
      o.contest = c.id;
      others.push_back(value_or_exit(ingest::open_for_reading(a.data_dir, o)));
      ac.index = others.back().index.get();
    }
    contests.push_back(std::move(ac));
  }
  http::ApiOptions ao;
  ao.data_dir = a.data_dir;
  http::ApiBackend be;
  be.log = data.log.get();
  be.index = data.index.get();
  be.contests = std::move(contests);
  be.no_write_side = "a published static site has no write side";
  const std::string checkpoint = value_or_exit(data.log->checkpoint());
  if (!a.witnesses.empty()) {
    const auto keys = witness_keys_or_exit(a.witnesses);
    if (a.witness_quorum > keys.size()) {
      fail("--witness-quorum " + std::to_string(a.witness_quorum) + " is more than the " +
           std::to_string(keys.size()) + " witnesses given");
      throw CLI::RuntimeError(2);
    }
    be.witness_status = [json = witnesses_json(keys, a.witness_quorum, checkpoint)] {
      return json;
    };
  }
  http::Api api(ao, be);

  publish::PublishInput in;
  in.data_dir = a.data_dir;
  if (!a.no_web) {
    in.web_dir = find_web_dir(a.web_dir);
    if (in.web_dir.empty()) {
      fail("no built web page found: run scripts/build-web.sh, pass --web <dir>, or --no-web");
      throw CLI::RuntimeError(2);
    }
    check_or_exit(http::check_web_root(in.web_dir, a.data_dir));
  }
  in.checkpoint = checkpoint;
  in.read_log_file = [&storage](const std::string& path) { return storage->read(path); };
  // A log in PostgreSQL: the images every node stored there are brought into <data>/blobs/ first,
  // so the site holds them whichever node received them.
  if (const std::string url = value_or_exit(store::store_url(a.data_dir)); !url.empty()) {
    auto shared = value_or_exit(store::SharedBlobs::open(url));
    auto local = value_or_exit(blob::BlobStore::open(Env::posix(), a.data_dir));
    for (const std::string& hex : value_or_exit(shared->digests()))
      if (!local.contains(hex)) check_or_exit(store::fetch_blob(*shared, local, hex));
  }
  in.get = [&api](const http::Request& r) { return api.handle(r); };
  // Each table's sheets with proofs (the table page); an election with several contests: none yet.
  if (full.contests.size() <= 1) {
    in.for_each_sheet = [&data](const publish::PublishInput::SheetFn& fn) {
      return data.index->for_each_current_sheet(
          "", [&fn](const index::SheetRecord& r) { fn(r.sheet.station, r.log_index); });
    };
  }
  auto st = value_or_exit(publish::publish_site(in, a.out_dir));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "published checkpoint " << st.checkpoint_size << " to " << a.out_dir << ": "
            << st.files_written << " files written (" << st.bytes_written << " bytes), "
            << st.files_unchanged << " unchanged, " << st.files_removed << " removed, "
            << st.api_files << " results files, " << st.station_files
            << " station files regenerated; " << secs << " s\n";
}

void register_publish_commands(CLI::App& app) {
  auto a = std::make_shared<PublishArgs>();
  auto* s = app.add_subcommand(
      "publish",
      "Write the whole results site (log tiles, images, results JSON, the page) as static "
      "files into <dir>, incrementally (docs/deploy.md)");
  s->add_option("data", a->data_dir, "data directory")->required();
  s->add_option("dir", a->out_dir, "output directory (created; re-runs copy only what changed)")
      ->required();
  s->add_option("--web", a->web_dir, "folder of the built web page (default: web/dist)");
  s->add_flag("--no-web", a->no_web, "publish the log and the results only, without the page");
  s->add_option("--witness", a->witnesses,
                "a witness whose cosignatures the page shows (its vkey, vkey@url as `serve` takes "
                "it, or a file of them; repeatable): written to api/v1/witnesses.json");
  s->add_option("--witness-quorum", a->witness_quorum,
                "cosignatures wanted (the page marks a checkpoint with fewer)");
  s->callback([a] { run_publish(*a); });
}

const CommandRegistrar kRegistrar(82, register_publish_commands);

}  // namespace
}  // namespace tallylog::cli
