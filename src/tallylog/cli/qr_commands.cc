// `tallylog qr` (decode and print QR payloads) and `tallylog scan` (images -> sheets through the
// ingest pipeline, images kept in the blob store). Flags, wiring and printing only: decoding
// lives in qr/decoder.h, the pipeline in qr/scan.h.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/blob/blob_store.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/net/http_client.h"
#include "tallylog/remote/bulk_client.h"
#include "tallylog/ingest/sheet_sink.h"
#include "tallylog/qr/decoder.h"
#include "tallylog/qr/scan.h"
#include "tallylog/store/shared_blobs.h"
#include "tallylog/store/store.h"

namespace tallylog::cli {
namespace {

// One output line per image: keep tabs, newlines and control bytes of a payload from breaking it.
std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

struct QrArgs {
  std::vector<std::string> images;
  uint64_t max_pixels = qr::ImageLimits{}.max_pixels;
  bool show_method = false;
};

void run_qr(const QrArgs& a) {
  qr::DecodeOptions options;
  options.limits.max_pixels = a.max_pixels;
  bool any_failed = false;
  for (const auto& file : a.images) {
    auto bytes = Env::posix().read_file(file);
    Result<qr::DecodedQr> r =
        bytes ? qr::decode_qr_file(*bytes, options) : std::unexpected(bytes.error());
    if (r) {
      std::cout << file << '\t' << printable(r->payload);
      if (a.show_method) std::cout << '\t' << r->method;
      std::cout << '\n';
    } else {
      any_failed = true;
      std::cout << file << "\tERROR: " << printable(r.error().message) << '\n';
    }
  }
  std::cout.flush();
  if (any_failed) set_exit_code(1);
}

struct ScanArgs {
  std::string data;
  std::vector<std::string> inputs;
  std::string source = "qr";
  unsigned threads = 0;
  size_t batch = 64;
  std::string rejects_path;
  uint64_t max_pixels = qr::ImageLimits{}.max_pixels;
  std::string token;  // with a server URL in place of the data directory
  std::string contest;  // whose QR profile reads the sheets (default: the only contest)
};

std::string default_rejects_path(std::string first_input) {
  while (first_input.size() > 1 && first_input.back() == '/') first_input.pop_back();
  return first_input + ".rejects.csv";
}

void run_scan(const ScanArgs& a) {
  auto files = value_or_exit(qr::list_image_files(a.inputs));
  ingest::IngestorOptions io;
  io.contest = a.contest;
  auto catch_up = std::make_shared<std::unique_ptr<Progress>>();
  io.catch_up_progress = [catch_up](uint64_t done, uint64_t total) {
    if (!*catch_up) *catch_up = std::make_unique<Progress>("index catching up", total);
    (*catch_up)->update(done);
  };
  qr::ScanOptions options;
  options.source = a.source;
  options.submitted_by = "scan";
  options.threads = a.threads;
  options.batch_size = a.batch;
  options.decode.limits.max_pixels = a.max_pixels;
  Result<qr::ScanSummary> summary = std::unexpected(Error{});
  if (net::is_url(a.data)) {
    // A running server: the handshake refuses a wrong token, source or URL before any image is
    // sent; images are uploaded before the sheets naming them, sheets in batches.
    remote::BulkOptions bo;
    bo.token = a.token;
    bo.source = a.source;
    bo.contest = a.contest;  // the contest the sheets are for (the server collects every one)
    auto client = value_or_exit(remote::BulkClient::connect(a.data, bo));
    std::cerr << "submitting to " << a.data << " as '" << client->submitter() << "'\n";
    Progress progress("scan", files.size());
    options.progress = [&progress](uint64_t done, uint64_t) { progress.update(done); };
    summary = qr::scan_images(*client, [&client](std::string_view b) { return client->put_blob(b); }, files, options);
  } else {
    auto ingestor = value_or_exit(ingest::Ingestor::open(a.data, io));
    auto blobs = value_or_exit(blob::BlobStore::open(Env::posix(), a.data));
    // A log in PostgreSQL: its images go there too, so every serve node on it can serve them.
    std::unique_ptr<store::SharedBlobs> shared;
    if (const std::string url = value_or_exit(store::store_url(a.data)); !url.empty())
      shared = value_or_exit(store::SharedBlobs::open(url));
    {
      Progress progress("scan", files.size());
      options.progress = [&progress](uint64_t done, uint64_t) { progress.update(done); };
      auto sink = ingest::ingestor_sink(*ingestor);
      summary = qr::scan_images(
          *sink, [&blobs, &shared](std::string_view bytes) { return store::put_blob(blobs, shared.get(), bytes); },
          files, options);
    }
    check_or_exit(ingestor->close());
  }
  if (!summary) check_or_exit(std::unexpected(summary.error()));
  std::string path =
      a.rejects_path.empty() ? default_rejects_path(a.inputs.front()) : a.rejects_path;
  if (summary->rejects.empty()) {
    (void)Env::posix().remove_file(path);  // a stale report from an earlier run would mislead
  } else {
    auto written = qr::write_scan_rejects_csv(Env::posix(), path, summary->rejects);
    if (!written && a.rejects_path.empty()) {
      path =
          "scan.rejects.csv";  // the input's folder may be read-only: fall back to the current one
      written = qr::write_scan_rejects_csv(Env::posix(), path, summary->rejects);
    }
    if (written) {
      std::cerr << summary->rejects.size() << " rejected images written to " << path << "\n";
    } else {
      std::cerr << "tallylog: could not write " << path << ": " << written.error().to_string()
                << "\n";
    }
  }
  std::cout << summary->summary_line() << std::endl;
}

void register_qr_commands(CLI::App& app) {
  auto qa = std::make_shared<QrArgs>();
  auto* q = app.add_subcommand(
      "qr", "Decode the QR code of each image (JPEG or PNG) and print <file>\\t<payload>");
  q->add_option("images", qa->images, "image files")->required();
  q->add_option("--max-pixels", qa->max_pixels,
                "refuse images with more pixels than this (decompression bombs)");
  q->add_flag("--method", qa->show_method,
              "append a column saying which decoder step found the code");
  q->callback([qa] { run_qr(*qa); });

  auto sa = std::make_shared<ScanArgs>();
  auto* s = app.add_subcommand(
      "scan",
      "Read tally sheets from images: decode the QR code, parse it with the election's QR profile, "
      "store the image and submit the sheet. Prints 'accepted A, duplicates D, conflicts C, "
      "rejected R'");
  s->add_option("data", sa->data, "data directory (tallylog init), or the URL of a running `tallylog serve`")->required();
  s->add_option("--contest", sa->contest,
                "the contest whose QR profile reads the sheets (an election with several needs one, to a data directory or a server URL)");
  s->add_option("inputs", sa->inputs,
                "image files or directories (searched recursively for .jpg/.jpeg/.png)")
      ->required();
  s->add_option("--source", sa->source, "source the sheets are attributed to (default: qr)");
  s->add_option("--threads", sa->threads, "decoding threads (default: all cores)");
  s->add_option("--batch", sa->batch, "sheets per log append (default 64)")
      ->check(CLI::Range(1, 100000));
  s->add_option("--rejects", sa->rejects_path,
                "where to write rejected images (default: <first input>.rejects.csv)");
  s->add_option("--max-pixels", sa->max_pixels, "refuse images with more pixels than this");
  s->add_option("--token", sa->token, "bearer token to submit to a server URL (tallylog tokens add)")
      ->envname("TALLYLOG_TOKEN");
  s->callback([sa] { run_scan(*sa); });
}

const CommandRegistrar kRegistrar(40, register_qr_commands);

}  // namespace
}  // namespace tallylog::cli
