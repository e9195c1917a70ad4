#include "tallylog/base/zip.h"

#include <zip.h>

#include <memory>
#include <vector>

namespace tallylog {

bool looks_like_zip(std::string_view bytes) { return bytes.starts_with(std::string_view("PK\x03\x04", 4)); }

Result<std::string> unzip_single(std::string_view bytes, std::string_view what) {
  auto bad = [&](const std::string& why) { return err(ErrorCode::kInvalidArgument, std::string(what) + ": " + why); };
  if (!looks_like_zip(bytes)) return bad("not a ZIP archive");
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!src) {
    std::string m = zip_error_strerror(&error);
    zip_error_fini(&error);
    return bad(m);
  }
  zip_t* archive = zip_open_from_source(src, ZIP_RDONLY, &error);
  if (!archive) {
    std::string m = zip_error_strerror(&error);
    zip_error_fini(&error);
    zip_source_free(src);
    return bad("not a readable ZIP archive: " + m);
  }
  zip_error_fini(&error);
  std::unique_ptr<zip_t, void (*)(zip_t*)> guard(archive, [](zip_t* z) { zip_discard(z); });
  const zip_int64_t n = zip_get_num_entries(archive, 0);
  std::vector<zip_uint64_t> files;
  std::string names;
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(archive, zip_uint64_t(i), 0);
    std::string_view nm = name ? name : "";
    if (nm.empty() || nm.ends_with('/')) continue;
    files.push_back(zip_uint64_t(i));
    names += (names.empty() ? "" : ", ") + std::string(nm);
  }
  if (files.size() != 1)
    return bad("the archive must hold exactly one file, it holds " + std::to_string(files.size()) +
               (names.empty() ? "" : " (" + names + ")"));
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive, files[0], 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    return bad("cannot read the size of " + names);
  if (st.valid & ZIP_STAT_ENCRYPTION_METHOD && st.encryption_method != ZIP_EM_NONE) return bad(names + " is encrypted");
  if (st.size > kMaxUnzippedBytes) return bad(names + " is larger than " + std::to_string(kMaxUnzippedBytes) + " bytes");
  zip_file_t* f = zip_fopen_index(archive, files[0], 0);
  if (!f) return bad(std::string("cannot open ") + names + ": " + zip_strerror(archive));
  // Read one byte past the stated size: libzip checks the CRC only when it reaches the end.
  std::string out(st.size + 1, '\0');
  zip_uint64_t got = 0;
  while (true) {
    const zip_int64_t r = zip_fread(f, out.data() + got, out.size() - got);
    if (r < 0) {
      std::string m = zip_file_strerror(f);
      zip_fclose(f);
      return bad(names + " is corrupt: " + m);
    }
    if (r == 0) break;
    got += zip_uint64_t(r);
    if (got > st.size) {
      zip_fclose(f);
      return bad(names + " holds more bytes than its header says");
    }
  }
  zip_fclose(f);
  if (got != st.size) return bad(names + " is truncated");
  out.resize(got);
  return out;
}

}  // namespace tallylog
