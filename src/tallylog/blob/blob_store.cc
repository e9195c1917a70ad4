#include "tallylog/blob/blob_store.h"

#include "tallylog/base/sha256.h"

namespace tallylog::blob {

bool BlobStore::is_valid_digest(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<BlobStore> BlobStore::open(Env& env, std::string data_dir, uint64_t max_blob_bytes) {
  std::string dir = join_path(join_path(data_dir, "blobs"), "sha256");
  TL_TRY(env.create_dirs(dir));
  return BlobStore(env, std::move(dir), max_blob_bytes);
}

Result<std::string> BlobStore::path_for(std::string_view hex) const {
  if (!is_valid_digest(hex)) {
    return err(ErrorCode::kInvalidArgument,
               "blob digest must be 64 lowercase hex characters, got '" +
                   std::string(hex.substr(0, 80)) + "'");
  }
  return join_path(dir_, hex);
}

Result<std::string> BlobStore::put(std::string_view bytes) const {
  if (bytes.size() > max_) {
    return err(ErrorCode::kResourceExhausted, "blob of " + std::to_string(bytes.size()) +
                                                  " bytes exceeds the limit of " +
                                                  std::to_string(max_) + " bytes");
  }
  std::string hex = sha256_hex(bytes);
  TL_ASSIGN_OR_RETURN(std::string path, path_for(hex));
  // Content addressing: an existing blob of that name already holds exactly these bytes
  // (write_file_atomic never leaves a partial file under the final name).
  if (env_->exists(path)) return hex;
  TL_TRY(env_->write_file_atomic(path, bytes, Durability::kSync));
  return hex;
}

Result<std::string> BlobStore::get(std::string_view hex) const {
  TL_ASSIGN_OR_RETURN(std::string path, path_for(hex));
  if (!env_->exists(path)) return err(ErrorCode::kNotFound, "no blob " + std::string(hex));
  TL_ASSIGN_OR_RETURN(std::string data, env_->read_file(path));
  if (sha256_hex(data) != hex) {
    return err(ErrorCode::kCorrupt, "blob " + path + " does not hash to its name");
  }
  return data;
}

bool BlobStore::contains(std::string_view hex) const {
  auto path = path_for(hex);
  return path && env_->exists(*path);
}

}  // namespace tallylog::blob
