// A read-only memory map of a file: big inputs (a national CSV) are read without holding them in
// memory. Pages are read on demand; release_before() hands back the pages a sequential reader has
// passed, so resident memory stays bounded by what is being processed, not by the file. A file
// that cannot be mapped (a pipe) is read into memory whole instead.
//
// Ownership: the mapping lives as long as the object; views of data() die with it.
// Thread-safety: data() may be read from any thread; release_before() only by the reader.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog {

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view data() const { return addr_ ? std::string_view(static_cast<const char*>(addr_), size_) : copy_; }
  // Drops the whole pages before `offset` from memory (they are read again if touched).
  void release_before(size_t offset);

 private:
  MappedFile(void* addr, size_t size) : addr_(addr), size_(size) {}
  void* addr_;
  size_t size_;
  size_t released_ = 0;
  std::string copy_;  // the content of a file that cannot be mapped (a pipe)
};

}  // namespace tallylog
