#include "tallylog/qr/scan.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "tallylog/base/csv.h"
#include "tallylog/qr/profile.h"

namespace tallylog::qr {
namespace {

bool has_image_extension(std::string_view name) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg" || ext == "png";
}

Status collect(Env& env, const std::string& dir, std::vector<std::string>& out, int depth) {
  if (depth > 32)
    return err(ErrorCode::kInvalidArgument, "directories nested too deeply under " + dir);
  TL_ASSIGN_OR_RETURN(auto names, env.list_dir(dir));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (name.empty() || name[0] == '.') continue;  // hidden files and blob temporaries
    std::string path = join_path(dir, name);
    if (env.list_dir(path)) {
      TL_TRY(collect(env, path, out, depth + 1));
    } else if (has_image_extension(name)) {
      out.push_back(path);
    }
  }
  return ok();
}

struct Prepared {
  std::optional<election::Sheet> sheet;  // set when the image decoded and parsed
  ImageReject reject;                    // otherwise
};

Prepared prepare(const std::string& file, const QrProfile& profile,
                 const election::Election& election, const BlobPut& put_blob,
                 const ScanOptions& options) {
  Prepared out;
  auto fail = [&](std::string field, const Error& e) {
    out.reject = ImageReject{file, std::move(field), e.message};
    return std::move(out);
  };
  auto bytes = options.env->read_file(file);
  if (!bytes) return fail("image", bytes.error());
  auto decoded = decode_qr_file(*bytes, options.decode);
  if (!decoded) return fail("image", decoded.error());
  auto sheet = profile.parse(decoded->payload, election);
  if (!sheet) return fail("qr", sheet.error());
  auto hex = put_blob(*bytes);
  if (!hex) return fail("image", hex.error());
  sheet->source = options.source;
  sheet->submitted_by = options.submitted_by;
  sheet->image_sha256 = *hex;
  out.sheet = std::move(*sheet);
  return out;
}

}  // namespace

Result<std::vector<std::string>> list_image_files(const std::vector<std::string>& inputs,
                                                  Env& env) {
  std::vector<std::string> out;
  for (const auto& input : inputs) {
    if (env.list_dir(input)) {
      TL_TRY(collect(env, input, out, 0));
    } else if (env.exists(input)) {
      out.push_back(input);
    } else {
      return err(ErrorCode::kNotFound, "no such file or directory: " + input);
    }
  }
  return out;
}

Result<ScanSummary> scan_images(ingest::Ingestor& ingestor, const blob::BlobStore& blobs,
                                const std::vector<std::string>& files, const ScanOptions& options) {
  auto sink = ingest::ingestor_sink(ingestor);
  return scan_images(*sink, [&blobs](std::string_view bytes) { return blobs.put(bytes); }, files, options);
}

Result<ScanSummary> scan_images(ingest::SheetSink& ingestor, const BlobPut& blobs,
                                const std::vector<std::string>& files, const ScanOptions& options) {
  const election::Election& election = ingestor.election();
  if (election.qr_profile.empty()) {
    return err(ErrorCode::kFailedPrecondition,
               "election '" + election.id + "' names no QR profile (qr_profile in its definition)");
  }
  TL_ASSIGN_OR_RETURN(const QrProfile* profile, builtin_profiles().find(election.qr_profile));

  ScanSummary summary;
  summary.images = files.size();
  const size_t n = files.size();
  std::vector<std::optional<Prepared>> results(n);
  std::mutex mu;
  std::condition_variable ready;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(n, 1)));
  // Workers may run at most this far ahead of submission, bounding memory on huge scans.
  const size_t window = std::max<size_t>(options.batch_size, 1) * 2 + threads * 4;
  size_t consumed = 0;  // guarded by mu

  std::vector<std::jthread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!stop) {
        size_t i = next.fetch_add(1);
        if (i >= n) return;
        {
          std::unique_lock lock(mu);
          ready.wait(lock, [&] { return stop || i < consumed + window; });
          if (stop) return;
        }
        Prepared p = prepare(files[i], *profile, election, blobs, options);
        {
          std::lock_guard lock(mu);
          results[i] = std::move(p);
        }
        ready.notify_all();
      }
    });
  }
  auto stop_pool = [&] {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    ready.notify_all();
    pool.clear();  // joins
  };

  std::vector<election::Sheet> batch;
  std::vector<std::string> origins;
  std::vector<size_t> batch_index;                           // input position of each batch sheet
  std::vector<std::pair<size_t, ImageReject>> reject_order;  // (input position, reject)
  auto flush = [&]() -> Status {
    if (batch.empty()) return ok();
    TL_ASSIGN_OR_RETURN(auto outcomes, ingestor.submit_batch(batch, origins));
    for (size_t k = 0; k < outcomes.size(); ++k) {
      summary.add(outcomes[k].verdict);
      if (outcomes[k].verdict == ingest::Verdict::kRejected) {
        reject_order.emplace_back(batch_index[k], ImageReject{origins[k], outcomes[k].field, outcomes[k].reason});
      }
    }
    batch.clear();
    origins.clear();
    batch_index.clear();
    return ok();
  };

  std::vector<index::Reject> early_rejects;
  for (size_t i = 0; i < n; ++i) {
    Prepared p;
    {
      std::unique_lock lock(mu);
      ready.wait(lock, [&] { return results[i].has_value(); });
      p = std::move(*results[i]);
      results[i].reset();
      consumed = i + 1;
    }
    ready.notify_all();
    if (p.sheet) {
      batch.push_back(std::move(*p.sheet));
      origins.push_back(files[i]);
      batch_index.push_back(i);
    } else {
      ++summary.rejected;
      early_rejects.push_back({options.source, files[i], p.reject.field, p.reject.reason,
                               format_rfc3339(options.clock->now())});
      reject_order.emplace_back(i, std::move(p.reject));
    }
    if (batch.size() >= std::max<size_t>(options.batch_size, 1)) {
      auto s = flush();
      if (!s) {
        stop_pool();
        return std::unexpected(s.error());
      }
    }
    if (options.progress) options.progress(i + 1, n);
  }
  stop_pool();
  TL_TRY(flush());
  if (!early_rejects.empty()) TL_TRY(ingestor.record_rejects(early_rejects));
  // Validator rejects reach the summary at flush time; present all rejects in input order.
  std::stable_sort(reject_order.begin(), reject_order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  summary.rejects.clear();
  for (auto& [i, r] : reject_order) summary.rejects.push_back(std::move(r));
  return summary;
}

Status write_scan_rejects_csv(Env& env, const std::string& path,
                              const std::vector<ImageReject>& rejects) {
  std::string out = "file,field,reason\n";
  for (const auto& r : rejects) {  // control characters escaped: see base/csv.h
    append_csv_text_field(out, r.file);
    out.push_back(',');
    append_csv_text_field(out, r.field);
    out.push_back(',');
    append_csv_text_field(out, r.reason);
    out.push_back('\n');
  }
  return env.write_file_atomic(path, out, Durability::kSync);
}

}  // namespace tallylog::qr
