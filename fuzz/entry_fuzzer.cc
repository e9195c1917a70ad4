// Log entries (election/entry.h): every entry the index, reindex, tally and the API decode comes
// from a log that may have been mirrored from elsewhere.
//
// Differential: decode_entry() (with its hand-rolled fast path for sheets) and
// internal::decode_entry_general() (nlohmann::json) accept exactly the same byte strings and give
// the same record. Round trip: an accepted entry is canonical, so it re-encodes to its own bytes.
#include "fuzz_support.h"
#include "tallylog/election/entry.h"

namespace tallylog::fuzz {
namespace {

std::string encode(const election::Entry& e) {
  return std::visit([](const auto& record) { return election::encode_entry(record); }, e.record);
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  std::string_view bytes = as_text(data, size);
  auto fast = election::decode_entry(bytes);
  auto general = election::internal::decode_entry_general(bytes);
  // The detail names the refusing decoder's error; neither error() is touched when both agree.
  if (fast.has_value() != general.has_value())
    fail("decode_entry and decode_entry_general accept the same entries",
         fast ? general.error().to_string() : fast.error().to_string());
  if (!fast) {
    check(fast.error().message == general.error().message, "both decoders give the same error");
    return 0;
  }
  check(fast->type == general->type, "both decoders give the same entry type");
  check(fast->record.index() == general->record.index(), "both decoders give the same record type");
  if (fast->type == election::EntryType::kSheet)
    check(std::get<election::Sheet>(fast->record) == std::get<election::Sheet>(general->record),
          "both decoders give the same sheet");
  if (fast->type == election::EntryType::kDevice)
    check(std::get<election::DeviceRecord>(fast->record) == std::get<election::DeviceRecord>(general->record),
          "both decoders give the same device record");
  check(encode(*fast) == bytes, "an accepted entry re-encodes to its own bytes (decode_entry)");
  check(encode(*general) == bytes, "an accepted entry re-encodes to its own bytes (decode_entry_general)");
  return 0;
}
