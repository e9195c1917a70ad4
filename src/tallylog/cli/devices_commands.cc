// `tallylog org keygen`, `tallylog devices keygen|enrol|revoke|log|invite|add-invites|list`,
// `tallylog receipt` and `tallylog verify-receipt` (issue 14): flags, wiring and printing only;
// the rules are in election/device.h, the receipt checks in log/receipt.h.
//
// Where the organisation's key is used: `enrol`, `revoke` and `invite` sign with --org-key. Run
// them where that key lives (the organisation's own machine) with --out, and hand the file to the
// server's operator (`devices log`, `devices add-invites`); given a data directory instead, they
// log at once (the organisation runs the server itself). The operator never needs the key.
#include <algorithm>
#include <iostream>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tallylog/store/store.h"
#include "tallylog/base/bytes.h"
#include "tallylog/base/clock.h"
#include "tallylog/base/env.h"
#include "tallylog/base/sha256.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/election/device.h"
#include "tallylog/election/entry.h"
#include "tallylog/http/tokens.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/ingest/invites.h"
#include "tallylog/log/http_files.h"
#include "tallylog/log/log.h"
#include "tallylog/log/receipt.h"
#include "tallylog/log/tiles.h"
#include "tallylog/net/http_client.h"
#include "tallylog/note/note.h"

namespace tallylog::cli {

namespace {

void keygen(const std::string& name, const std::string& key_file, const std::string& what) {
  auto s = value_or_exit(note::Signer::generate(name));
  check_or_exit(Env::posix().write_new_file_private(key_file, s.private_key_text() + "\n", 0600));
  std::cout << s.verifier_key() << "\n";
  std::cerr << "tallylog: " << what << " key written to " << key_file << " (keep it secret); its verifier key is above\n";
}

std::string sign_b64_or_exit(const note::Signer& s, std::string_view message) {
  return base64_encode(value_or_exit(s.sign(message)));
}

// Sends the record to a running server (POST /api/v1/devices/records) and prints its log index.
void post_or_exit(const election::DeviceRecord& r, const std::string& server) {
  const net::Url url = value_or_exit(net::parse_url(server));
  auto client = value_or_exit(net::HttpClient::create(url));
  auto resp = value_or_exit(client->post(url.path + "/api/v1/devices/records", election::encode_entry(r), "application/json"));
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  if (resp.status == 201 && j.is_object() && j.contains("log_index") && j["log_index"].is_number_unsigned()) {
    std::cout << j["log_index"].get<uint64_t>() << "\n";
    std::cerr << "tallylog: " << r.action << " of " << r.device_key.substr(0, r.device_key.find('+', 0))
              << " logged by " << url.origin() << " at index " << j["log_index"].get<uint64_t>() << "\n";
    return;
  }
  std::string why = resp.body.substr(0, 500);
  if (j.is_object() && j.contains("reason") && j["reason"].is_string()) {
    why = (j.contains("field") && j["field"].is_string() ? j["field"].get<std::string>() + ": " : "") + j["reason"].get<std::string>();
  } else if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    why = j["error"].get<std::string>();
  }
  fail(url.origin() + " refused the " + r.action + " (HTTP " + std::to_string(resp.status) + "): " + why);
  throw CLI::RuntimeError(exit_code());
}

// Logs the record into <data> (printing its log index), sends it to a server (<data> is a URL),
// or writes it to --out.
void log_or_write(const election::DeviceRecord& r, const std::string& data_dir, const std::string& out) {
  if (!out.empty()) {
    check_or_exit(Env::posix().write_file_atomic(out, election::encode_entry(r) + "\n", Durability::kSync));
    std::cerr << "tallylog: signed " << r.action << " record written to " << out
              << "; log it with `tallylog devices log <data> " << out << "`\n";
    return;
  }
  if (net::is_url(data_dir)) return post_or_exit(r, data_dir);
  auto ing = value_or_exit(ingest::Ingestor::open(data_dir));
  const uint64_t at = value_or_exit(ing->add_device_record(r));
  check_or_exit(ing->close());
  std::cout << at << "\n";
  std::cerr << "tallylog: " << r.action << " of " << r.device_key.substr(0, r.device_key.find('+', 0))
            << " logged at index " << at << "\n";
}

// 16 characters of Crockford's base32 (80 bits) in groups of four: TL-XXXX-XXXX-XXXX-XXXX.
std::string new_code_or_exit() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const std::string random = value_or_exit(http::random_token_bytes());
  std::string code = "TL";
  uint32_t acc = 0;
  int bits = 0, n = 0;
  for (size_t i = 0; n < 16; ++i) {
    acc = (acc << 8) | static_cast<unsigned char>(random[i]);
    bits += 8;
    while (bits >= 5 && n < 16) {
      if (n % 4 == 0) code += '-';
      code += kAlphabet[(acc >> (bits - 5)) & 31];
      bits -= 5;
      ++n;
    }
  }
  return code;
}

struct Args {
  std::string data_dir, out, org, org_key, device, reason, name, key_file, file, vkey, cacert;
  std::vector<std::string> sources;
  uint64_t index = 0;
  int count = 1;
};

void register_devices_commands(CLI::App& app) {
  auto* org = app.add_subcommand("org", "Keys of organisations that enrol devices");
  org->require_subcommand(1);
  auto og = std::make_shared<Args>();
  auto* org_keygen = org->add_subcommand("keygen", "Create an organisation key file (0600); print the verifier key for the election's [[organisations]]");
  org_keygen->add_option("--name", og->name, "key name (the organisation id, e.g. mud)")->required();
  org_keygen->add_option("--key-file", og->key_file, "where to write the private key")->required();
  org_keygen->callback([og] { keygen(og->name, og->key_file, "organisation"); });

  auto* dev = app.add_subcommand("devices", "Device keys: enrol, revoke, invite with one-time codes, list");
  dev->require_subcommand(1);

  auto kg = std::make_shared<Args>();
  auto* k = dev->add_subcommand("keygen", "Create a device key file (0600; for a scanner or an import) and print its verifier key");
  k->add_option("--name", kg->name, "key name (e.g. scanner-3)")->required();
  k->add_option("--key-file", kg->key_file, "where to write the private key")->required();
  k->callback([kg] { keygen(kg->name, kg->key_file, "device"); });

  auto en = std::make_shared<Args>();
  auto* e = dev->add_subcommand("enrol", "Sign (with the organisation's key) an enrolment of a device key, and log it or write it out");
  e->add_option("data", en->data_dir, "data directory, or server URL, to log into (or give --out)");
  e->add_option("--org", en->org, "organisation id (as in the election)")->required();
  e->add_option("--org-key", en->org_key, "the organisation's private key file")->required()->check(CLI::ExistingFile);
  e->add_option("--device", en->device, "the device's verifier key, or a file holding it")->required();
  e->add_option("--source", en->sources, "source the device may sign sheets for (repeatable)")->required();
  e->add_option("--out", en->out, "write the signed record here instead of logging it");
  e->callback([en] {
    if (en->data_dir.empty() == en->out.empty()) return fail("give a data directory or --out (not both)");
    const note::Signer org_key = signer_or_exit(en->org_key, "--org-key");
    election::DeviceRecord r;
    r.action = "enrol";
    r.device_key = key_text_or_file(en->device);
    r.org = en->org;
    r.sources = en->sources;
    r.org_signature = sign_b64_or_exit(org_key, election::device_record_message(r));
    log_or_write(r, en->data_dir, en->out);
  });

  auto rv = std::make_shared<Args>();
  auto* r = dev->add_subcommand("revoke", "Sign (with the organisation's key) a revocation; the key's earlier sheets stay valid");
  r->add_option("data", rv->data_dir, "data directory, or server URL, to log into (or give --out)");
  r->add_option("--org", rv->org, "organisation id")->required();
  r->add_option("--org-key", rv->org_key, "the organisation's private key file")->required()->check(CLI::ExistingFile);
  r->add_option("--device", rv->device, "the device's verifier key, or a file holding it")->required();
  r->add_option("--reason", rv->reason, "why (logged)");
  r->add_option("--out", rv->out, "write the signed record here instead of logging it");
  r->callback([rv] {
    if (rv->data_dir.empty() == rv->out.empty()) return fail("give a data directory or --out (not both)");
    const note::Signer org_key = signer_or_exit(rv->org_key, "--org-key");
    election::DeviceRecord rec;
    rec.action = "revoke";
    rec.device_key = key_text_or_file(rv->device);
    rec.org = rv->org;
    rec.reason = rv->reason;
    rec.org_signature = sign_b64_or_exit(org_key, election::device_record_message(rec));
    log_or_write(rec, rv->data_dir, rv->out);
  });

  auto lg = std::make_shared<Args>();
  auto* l = dev->add_subcommand("log", "Log a signed enrolment or revocation record written by `enrol/revoke --out`");
  l->add_option("data", lg->data_dir, "data directory, or the URL of the server that holds it")->required();
  l->add_option("record", lg->file, "the record file")->required()->check(CLI::ExistingFile);
  l->callback([lg] {
    std::string text = value_or_exit(Env::posix().read_file(lg->file));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto d = value_or_exit(election::decode_entry(text));
    if (d.type != election::EntryType::kDevice) return fail(lg->file + ": not a device record");
    log_or_write(std::get<election::DeviceRecord>(d.record), lg->data_dir, "");
  });

  auto iv = std::make_shared<Args>();
  auto* i = dev->add_subcommand("invite", "Create one-time enrolment codes signed by the organisation; print the codes");
  i->add_option("data", iv->data_dir, "data directory whose server takes the codes (or give --out)");
  i->add_option("--org", iv->org, "organisation id")->required();
  i->add_option("--org-key", iv->org_key, "the organisation's private key file")->required()->check(CLI::ExistingFile);
  i->add_option("--source", iv->sources, "source the enrolled device may sign for (repeatable)")->required();
  i->add_option("--count", iv->count, "how many codes (default 1)")->check(CLI::Range(1, 10000));
  i->add_option("--out", iv->out, "write the invites here (for `devices add-invites`) instead of into <data>");
  i->callback([iv] {
    if (iv->data_dir.empty() == iv->out.empty()) return fail("give a data directory or --out (not both)");
    const note::Signer org_key = signer_or_exit(iv->org_key, "--org-key");
    std::vector<ingest::Invite> invites;
    std::vector<std::string> codes;
    for (int n = 0; n < iv->count; ++n) {
      codes.push_back(new_code_or_exit());
      ingest::Invite inv{sha256_hex(codes.back()), iv->org, iv->sources, ""};
      inv.invite_signature =
          sign_b64_or_exit(org_key, election::device_invite_message(inv.org, inv.sources, inv.code_sha256));
      invites.push_back(std::move(inv));
    }
    if (!iv->out.empty()) {
      check_or_exit(Env::posix().write_file_atomic(iv->out, ingest::invites_to_jsonl(invites), Durability::kSync));
    } else {
      check_or_exit(ingest::append_invites(Env::posix(), iv->data_dir, invites));
    }
    for (const auto& c : codes) std::cout << c << "\n";
    std::cerr << "tallylog: " << codes.size() << " code(s) for " << iv->org << "; each enrols one device, once\n";
  });

  auto ai = std::make_shared<Args>();
  auto* a = dev->add_subcommand("add-invites", "Take invites written by `devices invite --out` (no key needed)");
  a->add_option("data", ai->data_dir, "data directory")->required()->check(CLI::ExistingDirectory);
  a->add_option("file", ai->file, "invites file")->required()->check(CLI::ExistingFile);
  a->callback([ai] {
    const auto invites =
        value_or_exit(ingest::invites_from_jsonl(value_or_exit(Env::posix().read_file(ai->file)), ai->file));
    check_or_exit(ingest::append_invites(Env::posix(), ai->data_dir, invites));
    std::cerr << "tallylog: " << invites.size() << " invite(s) added\n";
  });

  auto ls = std::make_shared<Args>();
  auto* li = dev->add_subcommand("list", "Devices enrolled in the log: key, organisation, sources, enrolled/revoked at");
  li->add_option("data", ls->data_dir, "data directory")->required()->check(CLI::ExistingDirectory);
  li->callback([ls] {
    auto reader = value_or_exit(store::open_reader(ls->data_dir));
    election::DeviceRegistry registry;
    std::optional<election::Election> el;
    check_or_exit(reader->for_each_entry(0, reader->size(), [&](uint64_t idx, std::string_view e) -> Status {
      if (idx == 0) {
        auto d = election::decode_entry(e);
        if (d && d->type == election::EntryType::kElection) el = std::get<election::Election>(d->record);
      } else if (el) {
        registry.replay(*el, e, idx);
      }
      return ok();
    }));
    for (const auto& [key, d] : registry.devices()) {
      std::string sources;
      for (const auto& s : d.sources) sources += (sources.empty() ? "" : ",") + s;
      std::cout << key << "\t" << d.org << "\t" << sources << "\tenrolled " << d.enrolled_at << "\t"
                << (d.revoked_at ? "revoked " + std::to_string(*d.revoked_at) : "active") << "\n";
    }
  });

  auto rc = std::make_shared<Args>();
  auto* re = app.add_subcommand("receipt", "Write the receipt of a logged entry: index, entry, signed checkpoint, inclusion proof");
  re->add_option("data", rc->data_dir, "data directory")->required()->check(CLI::ExistingDirectory);
  re->add_option("index", rc->index, "log index of the entry")->required();
  re->add_option("--out", rc->out, "write it here (default: stdout)");
  re->callback([rc] {
    auto reader = value_or_exit(store::open_reader(rc->data_dir));
    const std::string json = log::receipt_to_json(value_or_exit(log::make_receipt(*reader, rc->index)));
    if (rc->out.empty()) {
      std::cout << json << "\n";
    } else {
      check_or_exit(Env::posix().write_file_atomic(rc->out, json + "\n", Durability::kSync));
    }
  });

  auto vr = std::make_shared<Args>();
  auto* v = app.add_subcommand("verify-receipt", "Prove a receipt's entry was logged and is still in a copy of the log (mirror dir or URL)");
  v->add_option("receipt", vr->file, "receipt file (JSON)")->required()->check(CLI::ExistingFile);
  v->add_option("log", vr->data_dir, "a mirror or data directory (its log/), or the server's URL")->required();
  v->add_option("--vkey", vr->vkey, "the log's verifier key, or a file holding it")->required();
  v->add_option("--cacert", vr->cacert, "CA bundle for https");
  v->callback([vr] {
    const note::Verifier key = log_key_or_exit(vr->vkey);
    auto receipt = value_or_exit(log::receipt_from_json(value_or_exit(Env::posix().read_file(vr->file))));
    auto files = log_files_or_exit(log_source(vr->data_dir), vr->cacert);
    std::unique_ptr<Progress> progress;
    auto check = log::verify_receipt(receipt, key, *files, [&](uint64_t done, uint64_t total) {
      if (!progress) progress = std::make_unique<Progress>("verify", total);
      progress->update(done);
    });
    progress.reset();
    if (!check) {
      fail("receipt NOT verified: " + check.error().message);
      return;
    }
    std::cout << "ok: entry " << receipt.log_index << " (" << receipt.entry.size() << " bytes, sha256 "
              << sha256_hex(receipt.entry).substr(0, 16) << "…) is in the log: included in the receipt's checkpoint (size "
              << check->receipt_size << "), which the copy's tree (size " << check->current_size
              << ", recomputed from its entry bundles) extends\n";
  });
}

const CommandRegistrar kRegistrar(87, register_devices_commands);

}  // namespace
}  // namespace tallylog::cli
