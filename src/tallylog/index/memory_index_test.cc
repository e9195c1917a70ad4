#include "tallylog/index/memory_index.h"

#include <gtest/gtest.h>

#include <map>

#include "tallylog/index/conformance_test.h"
#include "tallylog/index/open.h"

namespace tallylog::index {
namespace {

// The conformance suite reopens "the same store" to check what survives: for memory, the same
// object (keyed by the test's directory).
struct MemoryBackend {
  static Result<std::unique_ptr<Index>> open(const std::string& dir) {
    // Kept for the process (reopened by later calls) and freed at exit.
    static std::map<std::string, std::unique_ptr<Index>> stores;
    auto& s = stores[dir];
    if (!s) s = make_memory_index();
    return std::unique_ptr<Index>(new Borrowed(*s));
  }
  // Forwards to a shared store, so "closing" it keeps the data.
  struct Borrowed : Index {
    explicit Borrowed(Index& i) : i_(i) {}
    Index& i_;
    Result<std::unique_ptr<IndexTransaction>> begin() override { return i_.begin(); }
    Status add_rejects(std::span<const Reject> r) override { return i_.add_rejects(r); }
    Result<uint64_t> clear_rejects() override { return i_.clear_rejects(); }
    Result<std::unique_ptr<ReadSnapshot>> snapshot() override { return i_.snapshot(); }
    Result<uint64_t> indexed_size() override { return i_.indexed_size(); }
    Result<election::Election> election() override { return i_.election(); }
    Result<std::optional<election::Station>> station(std::string_view c) override { return i_.station(c); }
    Status for_each_station(const std::function<void(const election::Station&)>& f) override { return i_.for_each_station(f); }
    Result<uint64_t> station_count() override { return i_.station_count(); }
    Status for_each_current_sheet(std::string_view s, const std::function<void(const SheetRecord&)>& f) override {
      return i_.for_each_current_sheet(s, f);
    }
    Result<std::vector<SheetRecord>> sheets_for_station(std::string_view st, std::string_view so) override {
      return i_.sheets_for_station(st, so);
    }
    Result<std::optional<SheetRecord>> sheet_at(uint64_t i) override { return i_.sheet_at(i); }
    Result<std::vector<Conflict>> conflicts() override { return i_.conflicts(); }
    Result<std::vector<DeclarationRecord>> declarations() override { return i_.declarations(); }
    Result<std::vector<std::string>> sources() override { return i_.sources(); }
    Result<std::vector<Reject>> rejects(size_t n) override { return i_.rejects(n); }
    Status for_each_current_count(std::string_view s, const std::function<void(const CountRecord&)>& f) override {
      return i_.for_each_current_count(s, f);
    }
    Result<std::vector<std::pair<std::string, uint64_t>>> current_sheets_by_source() override {
      return i_.current_sheets_by_source();
    }
    Status for_each_sheet_summary(const std::function<void(const SheetSummary&)>& f) override {
      return i_.for_each_sheet_summary(f);
    }
    Status for_each_table(const std::function<void(const TableRow&)>& f) override { return i_.for_each_table(f); }
    Status for_each_table_in(uint32_t p, const std::function<void(const TableRow&)>& f) override {
      return i_.for_each_table_in(p, f);
    }
    Status for_each_area(int d, const std::function<void(const AreaRow&)>& f) override { return i_.for_each_area(d, f); }
    Result<std::vector<std::string>> rules() override { return i_.rules(); }
    Status for_each_area_totals(uint32_t r, int d, const std::function<void(uint32_t, std::string_view)>& f) override {
      return i_.for_each_area_totals(r, d, f);
    }
    Result<std::string> aggregates_state() override { return i_.aggregates_state(); }
    Result<std::string> dump() override { return i_.dump(); }
  };
};

TEST(MemoryIndex, OpensByUrlAndStartsEmpty) {
  auto idx = open_index("memory:");
  ASSERT_TRUE(idx) << idx.error().to_string();
  EXPECT_EQ((*idx)->indexed_size().value(), 0u);
  EXPECT_FALSE(index_exists("memory:"));
  EXPECT_TRUE(remove_index("memory:"));
}

}  // namespace
}  // namespace tallylog::index

namespace tallylog::index::conformance {
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, IndexConformance, ::testing::Types<MemoryBackend>);
}  // namespace tallylog::index::conformance
