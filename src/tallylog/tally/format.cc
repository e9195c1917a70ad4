#include "tallylog/tally/format.h"

#include "tallylog/tally/local_race.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <type_traits>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sys/mman.h>

#include "tallylog/base/csv.h"
#include "tallylog/tally/figures.h"

namespace tallylog::tally {
namespace {

using Json = nlohmann::ordered_json;

Json ratio(int64_t num, int64_t den) {
  if (den <= 0) return nullptr;
  return std::round(static_cast<double>(num) / static_cast<double>(den) * 1e6) / 1e6;
}

std::string percent(int64_t num, int64_t den) {
  if (den <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * static_cast<double>(num) / static_cast<double>(den));
  return buf;
}

std::string dump(const Json& j) {
  // Invalid UTF-8 in a name must not abort a report: replace it.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The declared figures of an area (tally/figures.h): known ones as numbers, unknown ones as null
// with the reason under "unknown", never as 0. A figure is unknown when the election does not
// declare it, or when it uses an optional field some counted tables' sheets leave out.
struct AreaFigures {
  std::optional<int64_t> valid, invalid, cast, turnout_votes, share_base;
  std::string why_valid, why_invalid, why_cast, why_turnout, why_share_base;
};

AreaFigures figures_of(const Geography& g, const AreaTotals& t) {
  const FigureSet& f = g.figures();
  AreaFigures out;
  auto v = [&](const Figure& fig, std::string& why) {
    return FigureSet::value(fig, t.fields, t.candidates, t.reported, t.tables_reported, g.fields(), &why);
  };
  out.valid = v(f.valid(), out.why_valid);
  out.invalid = v(f.invalid(), out.why_invalid);
  out.cast = v(f.cast(), out.why_cast);
  out.turnout_votes = v(f.turnout(), out.why_turnout);
  // Over the counted tables whose registered voters are known only (numerator and denominator).
  if (out.turnout_votes) *out.turnout_votes -= t.turnout_excluded;
  out.share_base = v(f.share_base(), out.why_share_base);
  return out;
}

// Writes JSON text straight into a string, byte for byte what dump() of the equivalent
// nlohmann::ordered_json gives (same number spelling, same escaping, invalid UTF-8 replaced), with
// no tree in between: a table-level answer has hundreds of thousands of areas, and building and
// freeing a JSON tree for each was most of the cost of answering it (issue 9: the server and the
// audit both format every table-level answer).
//
// Speed (issue 9, audit2): the string is grown ahead with resize_and_overwrite (no zero fill) and
// written through a cursor, so each member name or number is a bounds check and an inlined copy,
// not a std::string append (which cost a library call and a capacity check per token). The string
// holds spare bytes past what was written until sync() (or the destructor) cuts it to size: read
// `out` only after sync().
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out), used_(out.size()) {}
  ~JsonOut() { sync(); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  // Cuts the string to what was written; writing may go on afterwards.
  void sync() {
    if (out_.size() != used_) out_.resize(used_);
  }
  // Bytes written so far.
  size_t size() const { return used_; }
  // JSON numbers written so far (what audit/json_diff.h count_figures() counts in the text;
  // raw_continued() text excluded): the audit's figure count of an answer it derived.
  uint64_t numbers() const { return numbers_; }
  // Forgets what was written (after the caller handed it on).
  void clear() {
    out_.clear();
    used_ = 0;
  }

  JsonOut& begin_object() { return open('{'); }
  JsonOut& end_object() { return close('}'); }
  JsonOut& begin_array() { return open('['); }
  JsonOut& end_array() { return close(']'); }
  JsonOut& key(std::string_view k) {
    comma();
    string_text(k);
    put(':');
    after_key_ = true;
    return *this;
  }
  // JSON text written before by another JsonOut that stopped after a member (an object still
  // open): the next member gets its comma.
  JsonOut& raw_continued(std::string_view text) {
    if (!text.empty()) put(text.data(), text.size());
    first_ = false;
    after_key_ = false;
    return *this;
  }
  // A member name already quoted and followed by ':' (see quoted_key()): no escaping check.
  JsonOut& key_raw(std::string_view quoted) {
    comma();
    put(quoted.data(), quoted.size());
    after_key_ = true;
    return *this;
  }
  // The same for a literal: its length is known when compiling, so the copy is inlined.
  template <size_t N>
  JsonOut& key_raw(const char (&quoted)[N]) {
    comma();
    put(quoted, N - 1);
    after_key_ = true;
    return *this;
  }
  JsonOut& value(std::string_view s) {
    comma();
    string_text(s);
    return *this;
  }
  JsonOut& value(const char* s) { return value(std::string_view(s)); }
  JsonOut& value(const std::string& s) { return value(std::string_view(s)); }
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
  JsonOut& value(I v) {
    comma();
    ++numbers_;
    char* p = reserve(24);
    used_ = static_cast<size_t>(std::to_chars(p, p + 24, v).ptr - out_.data());
    return *this;
  }
  JsonOut& null() {
    comma();
    put("null", 4);
    return *this;
  }
  // A ratio as ratio() gives it: null without a denominator.
  JsonOut& ratio_value(int64_t num, int64_t den) {
    if (den <= 0) return null();
    comma();
    const double d = std::round(static_cast<double>(num) / static_cast<double>(den) * 1e6) / 1e6;
    if (!std::isfinite(d)) {
      put("null", 4);
      return *this;
    }
    ++numbers_;
    char* p = reserve(64);
    char* end = nlohmann::detail::to_chars(p, p + 64, d);  // the serializer's own
    used_ = static_cast<size_t>(end - out_.data());
    return *this;
  }
  // A run of members written without a bounds check per token: at most `max_bytes` bytes, all
  // after a member or an opened object/array that already has one (so each begins with its
  // own comma, written by the caller). A table-level answer is hundreds of thousands of areas of
  // about seventy numbers each; checking room and comma state per number was most of writing it.
  class Run {
   public:
    Run(JsonOut& j, size_t max_bytes) : j_(j), p_(j.reserve(max_bytes)) {}
    ~Run() {
      j_.used_ = static_cast<size_t>(p_ - j_.out_.data());
      j_.numbers_ += numbers_;
      j_.first_ = false;
      j_.after_key_ = false;
    }
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;
    // Text known to need no escaping: literal keys with their quotes, commas and colons.
    template <size_t N>
    Run& raw(const char (&text)[N]) {
      std::memcpy(p_, text, N - 1);
      p_ += N - 1;
      return *this;
    }
    Run& raw(std::string_view text) {
      std::memcpy(p_, text.data(), text.size());
      p_ += text.size();
      return *this;
    }
    Run& num(int64_t v) {  // at most 20 bytes
      ++numbers_;
      if (static_cast<uint64_t>(v) < 10) {
        *p_++ = static_cast<char>('0' + v);
        return *this;
      }
      p_ = std::to_chars(p_, p_ + 20, v).ptr;
      return *this;
    }
    Run& num(uint64_t v) {  // at most 20 bytes
      ++numbers_;
      p_ = std::to_chars(p_, p_ + 20, v).ptr;
      return *this;
    }
    Run& null() {
      std::memcpy(p_, "null", 4);
      p_ += 4;
      return *this;
    }
    Run& ratio(int64_t num, int64_t den) {  // as JsonOut::ratio_value; at most 32 bytes
      if (den <= 0) return null();
      const double d = std::round(static_cast<double>(num) / static_cast<double>(den) * 1e6) / 1e6;
      if (!std::isfinite(d)) return null();
      ++numbers_;
      p_ = nlohmann::detail::to_chars(p_, p_ + 32, d);
      return *this;
    }

   private:
    JsonOut& j_;
    char* p_;
    uint64_t numbers_ = 0;
  };
  // Bytes `Run::ratio` may write (nlohmann's shortest double spelling fits in far less).
  static constexpr size_t kMaxRatioBytes = 32;
  static constexpr size_t kMaxIntBytes = 20;

  template <class T>
  JsonOut& array(const std::vector<T>& v) {
    begin_array();
    for (const auto& x : v) value(x);
    return end_array();
  }

 private:
  // Room for `n` more bytes at the cursor; returns the cursor.
  char* reserve(size_t n) {
    if (out_.size() - used_ < n) [[unlikely]] grow(n);
    return out_.data() + used_;
  }
  void grow(size_t n) {
    const size_t want = std::max({used_ + n, out_.size() * 2, out_.capacity(), size_t{4096}});
    out_.resize_and_overwrite(want, [](char*, size_t len) { return len; });  // bytes past used_: not read before written
    if (want >= kHugeBody) advise_huge_pages(out_.data(), out_.size());
  }
  // A whole table-level answer is tens to hundreds of megabytes of fresh memory: in 2 MB pages it
  // takes 512 times fewer page faults to fill (a fifth of the server's time answering it in 4 KB
  // pages on this machine, issue 9). Advice only: the kernel may ignore it.
  static constexpr size_t kHugeBody = size_t{16} << 20;
  static void advise_huge_pages(char* data, size_t size) {
    constexpr uintptr_t kPage = uintptr_t{2} << 20;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~(kPage - 1);
    if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // advice: ignored if refused
  }
  void put(char c) {
    *reserve(1) = c;
    ++used_;
  }
  void put(const char* p, size_t n) {
    std::memcpy(reserve(n), p, n);
    used_ += n;
  }
  JsonOut& open(char c) {
    comma();
    put(c);
    first_ = true;
    return *this;
  }
  JsonOut& close(char c) {
    put(c);
    first_ = false;
    return *this;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) put(',');
    first_ = false;
  }
  void string_text(std::string_view s) {
    // Plain printable ASCII needs no escaping; anything else goes through nlohmann's serializer.
    bool plain = true;
    for (unsigned char c : s) plain &= c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    if (plain) {
      char* p = reserve(s.size() + 2);
      *p++ = '"';
      if (!s.empty()) std::memcpy(p, s.data(), s.size());
      p[s.size()] = '"';
      used_ += s.size() + 2;
    } else {
      const std::string text = dump(Json(std::string(s)));
      put(text.data(), text.size());
    }
  }
  std::string& out_;
  size_t used_;  // bytes written; out_.size() >= used_ (the rest is room)
  uint64_t numbers_ = 0;
  bool first_ = true;
  bool after_key_ = false;
};

// `"name":` as JsonOut writes a key, for key_raw().
std::string quoted_key(std::string_view name) {
  std::string out;
  JsonOut(out).begin_object().key(name);
  return out.substr(1);
}

// The election's member names (fields, candidates) quoted once per answer, not once per area.
struct AreaKeys {
  std::vector<std::string> fields, candidates;
  // The most write_area's counts (fields, fields_reported, candidates, cards) can take.
  size_t counts_bytes = 256;
  explicit AreaKeys(const Geography& g) {
    for (size_t i = 0; i < g.field_count(); ++i) fields.push_back(quoted_key(g.fields()[i]));
    for (size_t i = 0; i < g.candidate_count(); ++i) candidates.push_back(quoted_key(g.election().candidates[i].code));
    for (const auto& k : fields) counts_bytes += 2 * (k.size() + 1 + JsonOut::kMaxIntBytes);
    for (const auto& k : candidates) counts_bytes += k.size() + 1 + JsonOut::kMaxIntBytes;
    counts_bytes += (g.card_count() + 1) * (1 + JsonOut::kMaxIntBytes);
  }
};

// One area's totals (see docs/formats/tally-json.md), in this member order.
// `t`: scratch room for the area's totals (reused from area to area).
void write_area(JsonOut& j, const TallyView& tab, AreaId id, const AreaKeys& keys, AreaTotals& t) {
  const Geography& g = tab.geography();
  const Area& area = g.area(id);
  tab.totals(id, t);
  const AreaFigures f = figures_of(g, t);
  std::vector<std::pair<const char*, const std::string*>> unknown;
  j.begin_object();
  j.key_raw("\"code\":").value(id == g.national() ? std::string_view("national") : std::string_view(area.code));
  j.key_raw("\"name\":").value(id == g.national() ? std::string_view(g.election().name) : std::string_view(area.name));
  {
    // The registry and coverage figures, then the declared ones (null when unknown): at most
    // 256 bytes of member names, 11 integers and 2 ratios.
    JsonOut::Run r(j, 256 + 11 * JsonOut::kMaxIntBytes + 2 * JsonOut::kMaxRatioBytes);
    r.raw(",\"tables_reported\":").num(t.tables_reported);
    r.raw(",\"tables_registered\":").num(area.tables_registered);
    r.raw(",\"tables_conflicted\":").num(t.tables_conflicted);
    r.raw(",\"registered_voters\":").num(area.registered_voters);
    r.raw(",\"registered_covered\":").num(t.registered_covered);
    // Stated only when not zero, so reports over registries that know every table keep their bytes.
    if (area.tables_registered_unknown != 0)
      r.raw(",\"tables_registered_unknown\":").num(area.tables_registered_unknown);
    if (t.tables_registered_unknown != 0) r.raw(",\"turnout_excluded_tables\":").num(t.tables_registered_unknown);
    r.raw(",\"coverage\":").ratio(t.tables_reported, static_cast<int64_t>(area.tables_registered));
    auto figure = [&](const char* key, std::string_view member, const std::optional<int64_t>& v, const std::string& why) {
      r.raw(member);
      if (v) {
        r.num(*v);
      } else {
        r.null();
        unknown.emplace_back(key, &why);
      }
    };
    figure("valid", ",\"valid\":", f.valid, f.why_valid);
    figure("null", ",\"null\":", f.invalid, f.why_invalid);
    figure("cast", ",\"cast\":", f.cast, f.why_cast);
    r.raw(",\"turnout\":");
    if (f.turnout_votes) {
      r.ratio(*f.turnout_votes, t.registered_covered);
    } else {
      r.null();
      unknown.emplace_back("turnout", &f.why_turnout);
    }
    figure("share_base", ",\"share_base\":", f.share_base, f.why_share_base);
  }
  if (!unknown.empty()) {
    j.key_raw("\"unknown\":").begin_object();
    for (const auto& [k, why] : unknown) j.key(k).value(*why);
    j.end_object();
  }
  JsonOut::Run r(j, keys.counts_bytes);
  if (g.field_count() > 0) {
    r.raw(",\"fields\":{");
    bool partial = false;
    for (size_t i = 0; i < g.field_count(); ++i) {
      if (i) r.raw(",");
      r.raw(keys.fields[i]).num(t.fields[i]);
      partial = partial || t.reported[i] < t.tables_reported;
    }
    r.raw("}");
    // A field some counted tables' sheets leave out: its sum covers only these tables.
    if (partial) {
      r.raw(",\"fields_reported\":{");
      bool first = true;
      for (size_t i = 0; i < g.field_count(); ++i) {
        if (t.reported[i] >= t.tables_reported) continue;
        if (!first) r.raw(",");
        first = false;
        r.raw(keys.fields[i]).num(t.reported[i]);
      }
      r.raw("}");
    }
  }
  // A local race (tally/local_race.h): an area lists the candidates standing there only.
  r.raw(",\"candidates\":{");
  bool first = true;
  for (size_t i = 0; i < g.candidate_count(); ++i) {
    if (!stands_in(g, id, i)) continue;
    if (!first) r.raw(",");
    first = false;
    r.raw(keys.candidates[i]).num(t.candidates[i]);
  }
  r.raw("}");
  if (g.card_count() > 0) {
    // Per card (party), in ballot order, over the tables whose sheets carry cards only. Plain
    // numbers: a table-level answer has tens of thousands of areas; the labels (position, party,
    // candidate) are the election's (GET /api/v1/election), and CSV and text print them.
    r.raw(",\"tables_with_cards\":").num(t.tables_with_cards);
    r.raw(",\"cards\":[");
    for (size_t i = 0; i < t.cards.size(); ++i) {
      if (i) r.raw(",");
      r.num(t.cards[i]);
    }
    r.raw("]");
  }
  r.raw("}");
}

// "12,345" or "?" for an unknown figure.
std::string figure_text(const std::optional<int64_t>& v) { return v ? with_thousands(*v) : std::string("?"); }

// The card's column label in CSV and text: "PSUV (card 1)".
std::string card_label(const election::Card& c) { return c.party + " (card " + std::to_string(c.position) + ")"; }

// Display width of UTF-8 text: code points (names such as "Elección" are not all ASCII).
size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A column-aligned text table: first `left` columns left-aligned, the rest right-aligned.
std::string render(const std::vector<std::vector<std::string>>& rows, size_t left, size_t rule_before_last) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i) out += "  ";
      const std::string pad(width[i] - display_width(r[i]), ' ');
      out += i < left ? r[i] + (i + 1 == r.size() ? "" : pad) : pad + r[i];
    }
    return out + "\n";
  };
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 1 || (rule_before_last && i + 1 == rows.size() && rows.size() > 2)) {
      out += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
    }
    out += line(rows[i]);
  }
  return out;
}

}  // namespace

std::string with_thousands(int64_t n) {
  const bool neg = n < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(u);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return neg ? "-" + out : out;
}

namespace {

// Where a streamed answer goes, and in pieces of about how many bytes.
struct Sink {
  const TextSink* to = nullptr;  // null: keep everything in the string
  size_t piece_bytes = 0;
};
// Hands what `out` holds to the sink once it passes the piece size (then `out` starts empty
// again); without a sink, `out` keeps everything.
void maybe_flush(std::string& out, JsonOut& j, const Sink& sink) {
  if (sink.to && j.size() >= sink.piece_bytes) {
    j.sync();
    (*sink.to)(out);
    j.clear();
  }
}

uint64_t write_tally(std::string& out, const TallyView& tab, int depth, std::optional<uint64_t> log_size, const Sink& sink) {
  const Geography& g = tab.geography();
  out.reserve(sink.to ? sink.piece_bytes + 4096 : tally_json_size_hint(g, depth));
  JsonOut j(out);
  j.begin_object();
  j.key("level").value(g.depth_name(depth));
  j.key("source").value(tab.rule_text());
  if (log_size) j.key("log_size").value(*log_size);
  const AreaKeys keys(g);
  AreaTotals scratch;
  j.key("areas").begin_array();
  for (AreaId a = g.depth_begin(depth); a < g.depth_end(depth); ++a) {
    write_area(j, tab, a, keys, scratch);
    maybe_flush(out, j, sink);
  }
  j.end_array();
  j.key("total");
  write_area(j, tab, g.national(), keys, scratch);
  j.key("unplaced_sheets").value(tab.unplaced_sheets());
  j.end_object();
  return j.numbers();
}

}  // namespace

size_t tally_json_size_hint(const Geography& g, int depth) {
  return 512 * static_cast<size_t>(g.depth_end(depth) - g.depth_begin(depth) + 1);
}

size_t compare_json_size_hint(std::string_view head, size_t areas) { return head.size() + 256 * areas + 256; }

std::string tally_to_json(const TallyView& tab, int depth, std::optional<uint64_t> log_size) {
  std::string out;
  write_tally(out, tab, depth, log_size, Sink{});
  return out;
}

void tally_to_json(std::string& out, const TallyView& tab, int depth, std::optional<uint64_t> log_size) {
  write_tally(out, tab, depth, log_size, Sink{});
}

uint64_t tally_to_json(const TallyView& tab, int depth, std::optional<uint64_t> log_size, const TextSink& sink,
                       size_t piece_bytes) {
  std::string out;
  const uint64_t numbers = write_tally(out, tab, depth, log_size, Sink{&sink, piece_bytes});
  if (!out.empty()) sink(out);
  return numbers;
}

std::string area_to_json(const TallyView& tab, AreaId area) {
  std::string out;
  {
    JsonOut j(out);
    AreaTotals scratch;
    write_area(j, tab, area, AreaKeys(tab.geography()), scratch);
  }
  return out;
}

std::string tally_to_csv(const TallyView& tab, int depth) {
  const Geography& g = tab.geography();
  std::string out =
      "level,code,name,tables_reported,tables_registered,tables_conflicted,registered_voters,registered_covered";
  // Only when the registry has tables with unknown registered voters (so other reports keep their bytes).
  const bool unknown_columns = g.area(g.national()).tables_registered_unknown != 0;
  if (unknown_columns) out += ",tables_registered_unknown,turnout_excluded_tables";
  for (const std::string& f : g.fields()) out += "," + csv_field(f);
  for (const auto& c : g.election().candidates) out += "," + csv_field(c.code);
  if (g.card_count() > 0) {
    out += ",tables_with_cards";
    for (const auto& c : g.election().cards) out += "," + csv_field(card_label(c));
  }
  out += "\n";
  auto row = [&](AreaId a, std::string_view level) {
    const Area& area = g.area(a);
    const AreaTotals t = tab.totals(a);
    out += csv_field(level) + "," + csv_field(a == g.national() ? "national" : area.code) + "," +
           csv_field(a == g.national() ? g.election().name : area.name) + "," + std::to_string(t.tables_reported) +
           "," + std::to_string(area.tables_registered) + "," + std::to_string(t.tables_conflicted) + "," +
           std::to_string(area.registered_voters) + "," + std::to_string(t.registered_covered);
    if (unknown_columns)
      out += "," + std::to_string(area.tables_registered_unknown) + "," + std::to_string(t.tables_registered_unknown);
    for (int64_t v : t.fields) out += "," + std::to_string(v);
    // A local race: an empty cell for a candidate not standing in the area.
    for (size_t i = 0; i < t.candidates.size(); ++i)
      out += stands_in(g, a, i) ? "," + std::to_string(t.candidates[i]) : std::string(",");
    if (g.card_count() > 0) {
      out += "," + std::to_string(t.tables_with_cards);
      for (int64_t v : t.cards) out += "," + std::to_string(v);
    }
    out += "\n";
  };
  for (AreaId a = g.depth_begin(depth); a < g.depth_end(depth); ++a) row(a, g.depth_name(depth));
  if (depth != 0) row(g.national(), "national");
  return out;
}

std::string tally_to_text(const TallyView& tab, int depth) {
  const Geography& g = tab.geography();
  const FigureSet& fs = g.figures();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {std::string(g.depth_name(depth)), "name", "counted", "tables", "coverage",
                                   "voters counted / registered", "valid", "invalid", "turnout"};
  for (const auto& c : g.election().candidates) {
    head.push_back(c.code);
    head.push_back("%");
  }
  rows.push_back(head);
  std::vector<std::vector<std::string>> card_rows;
  if (g.card_count() > 0) {
    std::vector<std::string> h = {std::string(g.depth_name(depth)), "tables with cards"};
    for (const auto& c : g.election().cards) h.push_back(card_label(c));
    card_rows.push_back(std::move(h));
  }
  auto row = [&](AreaId a) {
    const Area& area = g.area(a);
    const AreaTotals t = tab.totals(a);
    const AreaFigures f = figures_of(g, t);
    std::vector<std::string> r = {a == g.national() ? "TOTAL" : area.code,
                                  a == g.national() ? g.election().name : area.name,
                                  with_thousands(t.tables_reported),
                                  with_thousands(static_cast<int64_t>(area.tables_registered)),
                                  percent(t.tables_reported, static_cast<int64_t>(area.tables_registered)),
                                  with_thousands(t.registered_covered) + " / " +
                                      with_thousands(static_cast<int64_t>(area.registered_voters)),
                                  figure_text(f.valid),
                                  figure_text(f.invalid),
                                  f.turnout_votes ? percent(*f.turnout_votes, t.registered_covered) : "?"};
    for (size_t i = 0; i < g.candidate_count(); ++i) {
      if (!stands_in(g, a, i)) {  // a local race: the candidate does not stand in this area
        r.push_back("");
        r.push_back("");
        continue;
      }
      r.push_back(with_thousands(t.candidates[i]));
      // A local race's total row adds separate races: a share of it would compare candidates no
      // voter chose between.
      if (a == g.national() && decided_depth(g.election()) > 0) {
        r.push_back("");
        continue;
      }
      r.push_back(f.share_base ? percent(t.candidates[i], *f.share_base) : "?");
    }
    rows.push_back(std::move(r));
    if (g.card_count() > 0) {
      std::vector<std::string> c = {a == g.national() ? "TOTAL" : area.code, with_thousands(t.tables_with_cards)};
      for (int64_t v : t.cards) c.push_back(with_thousands(v));
      card_rows.push_back(std::move(c));
    }
  };
  for (AreaId a = g.depth_begin(depth); a < g.depth_end(depth); ++a) row(a);
  if (depth != 0) row(g.national());
  std::string out = render(rows, 2, depth != 0);
  auto described = [](const Figure& f) { return f.known() ? f.text : "unknown"; };
  out += "source: " + tab.rule_text() + "; counted = tables with a counted sheet, of the registry's tables; " +
         "valid = " + described(fs.valid()) + "; invalid = " + described(fs.invalid()) + "; turnout = (" +
         described(fs.turnout()) + ") / voters of counted tables; % = share of (" + described(fs.share_base()) + ")\n";
  for (const Figure* f : {&fs.valid(), &fs.invalid(), &fs.turnout(), &fs.share_base()}) {
    if (!f->known()) out += "? " + f->name + ": " + f->why_unknown + "\n";
  }
  {  // declared, but partial in the national total: some sheets leave out an optional field
    const AreaFigures nf = figures_of(g, tab.totals(g.national()));
    const std::pair<const Figure*, const std::string*> partial[] = {
        {&fs.valid(), &nf.why_valid}, {&fs.invalid(), &nf.why_invalid}, {&fs.turnout(), &nf.why_turnout},
        {&fs.share_base(), &nf.why_share_base}};
    for (const auto& [f, why] : partial) {
      if (f->known() && !why->empty()) out += "? " + f->name + ": " + *why + "\n";
    }
  }
  if (g.card_count() > 0) {
    out += "\nvotes per card (party), over the tables whose sheets carry per-card counts:\n";
    out += render(card_rows, 1, depth != 0);
  }
  const AreaTotals n = tab.totals(g.national());
  if (n.tables_conflicted > 0) {
    out += with_thousands(n.tables_conflicted) + " conflicted tables (sheets disagree) are not counted\n";
  }
  if (const uint64_t unknown = g.area(g.national()).tables_registered_unknown; unknown != 0) {
    out += with_thousands(static_cast<int64_t>(unknown)) + " tables of the registry have unknown registered voters; " +
           with_thousands(n.tables_registered_unknown) +
           " of them are counted and left out of turnout (its votes and its voters)\n";
  }
  if (tab.unplaced_sheets() > 0) {
    out += with_thousands(static_cast<int64_t>(tab.unplaced_sheets())) +
           " sheets name stations absent from the registry and are not counted\n";
  }
  return out;
}

namespace {

// The members of a comparison that are the same at every level (compare_head_json()).
void write_compare_head(std::string& out, JsonOut& j, const Comparison& c, std::optional<uint64_t> log_size,
                        const Sink& sink) {
  j.begin_object();
  j.key_raw("\"source_a\":").value(c.source_a);
  j.key_raw("\"source_b\":").value(c.source_b);
  if (log_size) j.key_raw("\"log_size\":").value(*log_size);
  j.key_raw("\"matching\":").value(c.matching);
  j.key_raw("\"only_a\":").value(c.only_a);
  j.key_raw("\"only_b\":").value(c.only_b);
  j.key_raw("\"conflicted\":").value(c.conflicted_tables.size());
  j.key_raw("\"differing\":").begin_array();
  for (const TableDifference& d : c.differing) {
    j.begin_object();
    j.key_raw("\"table\":").value(d.code);
    j.key_raw("\"log_index_a\":").value(d.log_index_a);
    j.key_raw("\"log_index_b\":").value(d.log_index_b);
    j.key_raw("\"fields\":").begin_object();
    for (const FieldDifference& f : d.fields) j.key(f.name).begin_array().value(f.a).value(f.b).end_array();
    j.end_object();
    j.key_raw("\"size\":").value(d.size);
    j.end_object();
    maybe_flush(out, j, sink);
  }
  j.end_array();
  j.key_raw("\"only_a_tables\":").array(c.only_a_tables);
  maybe_flush(out, j, sink);
  j.key_raw("\"only_b_tables\":").array(c.only_b_tables);
  maybe_flush(out, j, sink);
  j.key_raw("\"conflicted_tables\":").array(c.conflicted_tables);
  maybe_flush(out, j, sink);
}

// The rest: the level and its per-area summaries, after a head already written.
void write_compare_tail(std::string& out, JsonOut& j, int summary_depth, const std::vector<AreaComparison>& areas,
                        const Geography& g, const Sink& sink) {
  j.key_raw("\"level\":").value(g.depth_name(summary_depth));
  // Valid votes as the election declares them (null when it does not: no guess).
  const bool valid_known = g.figures().valid().known();
  j.key_raw("\"areas\":").begin_array();
  for (const AreaComparison& a : areas) {
    j.begin_object();
    j.key_raw("\"code\":").value(a.area == g.national() ? std::string_view("national") : std::string_view(g.area(a.area).code));
    j.key_raw("\"name\":").value(a.area == g.national() ? std::string_view(g.election().name) : std::string_view(g.area(a.area).name));
    j.key_raw("\"matching\":").value(a.matching);
    j.key_raw("\"differing\":").value(a.differing);
    j.key_raw("\"only_a\":").value(a.only_a);
    j.key_raw("\"only_b\":").value(a.only_b);
    j.key_raw("\"conflicted\":").value(a.conflicted);
    j.key_raw("\"difference\":").value(a.difference);
    j.key_raw("\"valid_only_a\":");
    if (valid_known) j.value(a.valid_only_a); else j.null();
    j.key_raw("\"valid_only_b\":");
    if (valid_known) j.value(a.valid_only_b); else j.null();
    j.end_object();
    maybe_flush(out, j, sink);
  }
  j.end_array();
  j.end_object();
}

void reserve_compare(std::string& out, const Comparison& c, const Sink& sink) {
  if (sink.to) out.reserve(sink.piece_bytes + 4096);
  else out.reserve(256 * (c.differing.size() + c.areas.size()) +
              16 * (c.only_a_tables.size() + c.only_b_tables.size() + c.conflicted_tables.size()) + 256);
}

void write_compare(std::string& out, const Comparison& c, const Geography& g, std::optional<uint64_t> log_size,
                   const Sink& sink) {
  reserve_compare(out, c, sink);
  JsonOut j(out);
  write_compare_head(out, j, c, log_size, sink);
  write_compare_tail(out, j, c.summary_depth, c.areas, g, sink);
}

// A head written before (compare_head_json), then the tail.
uint64_t write_compare_after(std::string& out, std::string_view head, int summary_depth,
                         const std::vector<AreaComparison>& areas, const Geography& g, const Sink& sink) {
  if (sink.to) out.reserve(sink.piece_bytes + 4096);
  else out.reserve(compare_json_size_hint(head, areas.size()));
  if (sink.to) {
    // Handed on as it is, in pieces of the usual size (no copy).
    const size_t piece = std::max<size_t>(sink.piece_bytes, 1);
    for (size_t at = 0; at < head.size(); at += piece) (*sink.to)(head.substr(at, piece));
    head = {};
  }
  JsonOut j(out);
  j.raw_continued(head);
  write_compare_tail(out, j, summary_depth, areas, g, sink);
  return j.numbers();
}

}  // namespace

std::string compare_to_json(const Comparison& c, const Geography& g, std::optional<uint64_t> log_size) {
  std::string out;
  write_compare(out, c, g, log_size, Sink{});
  return out;
}

void compare_to_json(const Comparison& c, const Geography& g, std::optional<uint64_t> log_size, const TextSink& sink,
                     size_t piece_bytes) {
  std::string out;
  write_compare(out, c, g, log_size, Sink{&sink, piece_bytes});
  if (!out.empty()) sink(out);
}

std::string compare_head_json(const Comparison& c, std::optional<uint64_t> log_size, uint64_t* numbers) {
  std::string out;
  reserve_compare(out, c, Sink{});
  {
    JsonOut j(out);
    write_compare_head(out, j, c, log_size, Sink{});
    if (numbers) *numbers = j.numbers();
  }
  return out;
}

std::string compare_to_json(std::string_view head, int summary_depth, const std::vector<AreaComparison>& areas,
                            const Geography& g) {
  std::string out;
  write_compare_after(out, head, summary_depth, areas, g, Sink{});
  return out;
}

void compare_to_json(std::string& out, std::string_view head, int summary_depth,
                     const std::vector<AreaComparison>& areas, const Geography& g) {
  write_compare_after(out, head, summary_depth, areas, g, Sink{});
}

uint64_t compare_to_json(std::string_view head, int summary_depth, const std::vector<AreaComparison>& areas,
                         const Geography& g, const TextSink& sink, size_t piece_bytes) {
  std::string out;
  const uint64_t numbers = write_compare_after(out, head, summary_depth, areas, g, Sink{&sink, piece_bytes});
  if (!out.empty()) sink(out);
  return numbers;
}

std::string compare_to_text(const Comparison& c, const Geography& g) {
  std::string out = "A = " + c.source_a + ", B = " + c.source_b + "\n";
  out += "matching tables:    " + with_thousands(c.matching) + "\n";
  out += "differing tables:   " + with_thousands(static_cast<int64_t>(c.differing.size())) + "\n";
  out += "only in A:          " + with_thousands(c.only_a) + "\n";
  out += "only in B:          " + with_thousands(c.only_b) + "\n";
  out += "conflicted (A or B): " + with_thousands(static_cast<int64_t>(c.conflicted_tables.size())) + "\n";
  if (!c.areas.empty()) {
    out += "\nby " + std::string(g.depth_name(c.summary_depth)) + ", largest difference first:\n";
    std::vector<std::vector<std::string>> rows = {
        {"code", "name", "matching", "differing", "difference", "only A", "only B", "conflicted"}};
    size_t quiet = 0;
    for (const AreaComparison& a : c.areas) {
      if (a.differing + a.only_a + a.only_b + a.conflicted == 0) {
        ++quiet;
        continue;
      }
      rows.push_back({a.area == g.national() ? "national" : g.area(a.area).code,
                      a.area == g.national() ? g.election().name : g.area(a.area).name, with_thousands(a.matching),
                      with_thousands(a.differing), with_thousands(a.difference), with_thousands(a.only_a),
                      with_thousands(a.only_b), with_thousands(a.conflicted)});
    }
    if (rows.size() > 1) out += render(rows, 2, false);
    out += with_thousands(static_cast<int64_t>(quiet)) + " " + std::string(g.depth_name(c.summary_depth)) +
           " areas where A and B agree on every table they report\n";
  }
  if (!c.differing.empty()) {
    out += "\ndiffering tables (field: A -> B):\n";
    for (const TableDifference& d : c.differing) {
      out += "  " + d.code + " (log " + std::to_string(d.log_index_a) + " vs " + std::to_string(d.log_index_b) + "):";
      for (const FieldDifference& f : d.fields) {
        out += " " + f.name + " " + with_thousands(f.a) + " -> " + with_thousands(f.b) + ";";
      }
      out.back() = '\n';
    }
  }
  return out;
}

std::string bounds_to_json(const std::vector<AreaBound>& bounds, const Geography& g,
                           std::optional<uint64_t> log_size) {
  std::string out = "{\"decided_at\":" + Json(g.election().decided_at).dump();
  if (!bounds.empty()) out += ",\"source\":" + Json(bounds.front().bound.source).dump();
  if (log_size) out += ",\"log_size\":" + std::to_string(*log_size);
  out += ",\"areas\":[";
  for (size_t i = 0; i < bounds.size(); ++i) {
    const Area& a = g.area(bounds[i].area);
    if (i) out += ",";
    out += "{\"code\":" + Json(a.code).dump() + ",\"name\":" + Json(a.name).dump() +
           ",\"bound\":" + bound_to_json(bounds[i].bound, g) + "}";
  }
  return out + "]}";
}

std::string bounds_to_text(const std::vector<AreaBound>& bounds, const Geography& g) {
  std::string out;
  for (const AreaBound& b : bounds) {
    const Area& a = g.area(b.area);
    out += "== " + std::string(g.depth_name(a.depth)) + " " + a.code + " " + a.name + "\n";
    out += bound_to_text(b.bound, g);
    if (!out.empty() && out.back() != '\n') out += "\n";
  }
  return out;
}

std::string bound_to_json(const OutcomeBound& b, const Geography& g, std::optional<uint64_t> log_size) {
  Json j;
  j["source"] = b.source;
  if (log_size) j["log_size"] = *log_size;
  if (b.leader.empty()) {
    j["leader"] = nullptr;
  } else {
    const auto* cand = &g.election().candidates[*g.candidate_index(b.leader)];
    j["leader"] = Json{{"candidate", b.leader}, {"name", cand->name}, {"votes", b.leader_votes}};
  }
  j["tied"] = b.tied;
  Json rivals = Json::array();
  for (const RivalBound& r : b.rivals) {
    rivals.push_back(Json{{"candidate", r.candidate},
                          {"votes", r.votes},
                          {"lead", r.lead},
                          {"decided_full", r.decided_full},
                          {"decided_observed", r.decided_observed}});
  }
  j["rivals"] = std::move(rivals);
  j["tables_counted"] = b.tables_counted;
  j["tables_unreported"] = b.tables_unreported;
  j["tables_conflicted"] = b.tables_conflicted;
  j["registered_unreported"] = b.registered_unreported;
  j["unregistered_voters"] = b.unregistered_voters;
  const bool cap_from_election = b.unregistered_table_cap_source == CapSource::kElection;
  j["unregistered_tables"] = Json{
      {"count", b.unregistered_tables},
      {"in_areas", b.unregistered_tables_in_areas},
      {"max_voters_per_table", b.unregistered_table_cap},
      {"cap_source", cap_from_election ? "election" : "registry_largest"},
      {"cap_table", cap_from_election || b.unregistered_table_cap_table.empty() ? Json(nullptr)
                                                                                : Json(b.unregistered_table_cap_table)},
      {"max_voters", b.unregistered_tables_voters},
      {"max_votes_observed", b.unregistered_tables_observed},
      {"national_turnout", ratio(static_cast<int64_t>(b.national_turnout_cast),
                                 static_cast<int64_t>(b.national_turnout_registered))}};
  if (b.registered_unknown_tables != 0) {  // omitted when none, so other answers keep their bytes
    j["registered_unknown_tables"] = Json{{"count", b.registered_unknown_tables},
                                          {"max_voters_per_table", b.unregistered_table_cap},
                                          {"max_voters", b.registered_unknown_voters},
                                          {"max_votes_observed", b.registered_unknown_observed}};
  }
  j["registry_total"] = b.registry_total ? Json{{"total", *b.registry_total},
                                                {"source", b.registry_source},
                                                {"registry_voters", b.registry_voters},
                                                {"unregistered_voters", b.registry_unregistered}}
                                          : Json(nullptr);
  j["unregistered_basis"] = b.unregistered_basis;
  j["unregistered_max_voters"] = b.unregistered_full;
  Json bounds;
  bounds["full"] = Json{{"turnout", "100%"}, {"max_votes", b.max_full}, {"decided", b.decided_full}};
  bounds["observed"] = Json{{"turnout", "highest observed"},
                            {"level", b.turnout_level},
                            {"max_votes", b.max_observed},
                            {"tables_fallback", b.tables_fallback},
                            {"decided", b.decided_observed}};
  if (!b.turnout_unknown.empty()) bounds["observed"]["turnout_unknown"] = b.turnout_unknown;
  j["bounds"] = std::move(bounds);
  j["decided"] = b.decided_full;
  return dump(j);
}

std::string bound_to_text(const OutcomeBound& b, const Geography& g) {
  auto yes = [](bool v) { return v ? "yes" : "no"; };
  std::string out = "source: " + b.source + "\n";
  if (b.leader.empty()) return out + "no candidates\n";
  const auto& leader = g.election().candidates[*g.candidate_index(b.leader)];
  out += "leader: " + leader.code + " (" + leader.name + ") with " + with_thousands(b.leader_votes) + " votes" +
         (b.tied ? " (tied)" : "") + "\n";
  out += "counted tables: " + with_thousands(b.tables_counted) + "; not counted: " +
         with_thousands(b.tables_unreported) + " (" + with_thousands(b.tables_conflicted) + " conflicted) with " +
         with_thousands(static_cast<int64_t>(b.registered_unreported)) + " registered voters; outside the registry: " +
         with_thousands(static_cast<int64_t>(b.unregistered_voters)) + " voters\n";
  if (b.unregistered_tables != 0) {
    const auto n = [](uint64_t v) { return with_thousands(static_cast<int64_t>(v)); };
    out += "tables absent from the registry, voters unknown: " + n(b.unregistered_tables) +
           " (election file, [unregistered_tables]";
    if (b.unregistered_tables_in_areas != 0) out += "; " + n(b.unregistered_tables_in_areas) + " of them given per area";
    out += ")\n  assumed at most " + n(b.unregistered_table_cap) + " voters each: ";
    if (b.unregistered_table_cap_source == CapSource::kElection) {
      out += "max_voters_per_table in the election file";
    } else {
      out += "the largest registered-voters figure of any table in the registry";
      if (!b.unregistered_table_cap_table.empty()) out += " (" + b.unregistered_table_cap_table + ")";
      out += ", as the election file gives no max_voters_per_table";
    }
    out += "\n  adds up to " + n(b.unregistered_tables_voters) + " voters at 100% turnout and " +
           n(b.unregistered_tables_observed) + " votes at the highest observed turnout (";
    out += b.unregistered_tables_in_areas == b.unregistered_tables ? std::string("per area given")
           : b.national_turnout_registered == 0
               ? std::string("nothing counted: 100%")
               : "nationally " + percent(static_cast<int64_t>(b.national_turnout_cast),
                                         static_cast<int64_t>(b.national_turnout_registered));
    if (b.unregistered_tables_in_areas != 0 && b.unregistered_tables_in_areas != b.unregistered_tables)
      out += "; per area for those given per area";
    out += ")\n";
  }
  if (b.registered_unknown_tables != 0) {
    const auto n = [](uint64_t v) { return with_thousands(static_cast<int64_t>(v)); };
    out += "registry tables not counted whose registered voters are unknown: " + n(b.registered_unknown_tables) +
           "\n  bounded like tables absent from the registry (at most " + n(b.unregistered_table_cap) +
           " voters each): " + n(b.registered_unknown_voters) + " voters at 100% turnout and " +
           n(b.registered_unknown_observed) + " votes at the highest observed turnout of their area\n";
  }
  if (b.registry_total) {
    const auto n = [](uint64_t v) { return with_thousands(static_cast<int64_t>(v)); };
    out += "official registry total: " + n(*b.registry_total) + " (" + b.registry_source + "); the registry's tables hold " +
           n(b.registry_voters) + ", so tables absent from it hold at most " + n(b.registry_unregistered) + " voters\n";
    out += "  cap used for tables absent from the registry: " +
           (b.unregistered_basis == "registry-total"
                ? "the registry total (" + n(b.unregistered_full) + "; per table it would be " +
                      n(b.unregistered_voters + b.unregistered_tables_voters) + ", --unregistered per-table)"
                : "per table (" + n(b.unregistered_full) + ")") +
           "\n";
  }
  out += "unreported maximum at 100% turnout:             " + with_thousands(static_cast<int64_t>(b.max_full)) +
         " votes\n";
  out += "unreported maximum at highest observed turnout: " + with_thousands(static_cast<int64_t>(b.max_observed)) +
         " votes (per " + b.turnout_level + ", " + with_thousands(b.tables_fallback) +
         " tables fell back to a larger area)\n";
  if (!b.turnout_unknown.empty()) out += "  (no observed turnout: " + b.turnout_unknown + "; 100% assumed)\n";
  out += "\n";
  std::vector<std::vector<std::string>> rows = {{"rival", "votes", "lead", "decided (100%)", "decided (observed)"}};
  for (const RivalBound& r : b.rivals) {
    rows.push_back({r.candidate, with_thousands(r.votes), with_thousands(r.lead), yes(r.decided_full),
                    yes(r.decided_observed)});
  }
  out += render(rows, 1, false);
  out += "\nbound 100% turnout: decided: " + std::string(yes(b.decided_full)) + "\n";
  out += "bound observed turnout: decided: " + std::string(yes(b.decided_observed)) + "\n";
  return out;
}

std::string SheetExporter::begin() {
  rows_ = 0;
  if (format_ == ExportFormat::kJson) return "{\"election\":" + dump(Json(g_.election().id)) + ",\"sheets\":[\n";
  std::string out = "table";
  const auto& levels = g_.election().levels;
  for (size_t i = 0; i + 1 < levels.size(); ++i) out += "," + csv_field(levels[i].code);
  out += ",source,log_index,supersedes,conflicted,registered";
  for (const std::string& f : g_.fields()) out += "," + csv_field(f);
  for (const auto& c : g_.election().candidates) out += "," + csv_field(c.code);
  for (const auto& card : g_.election().cards) out += ",card" + std::to_string(card.position);
  return out + ",image_sha256\n";
}

std::string SheetExporter::row(const index::SheetRecord& r) {
  const election::Sheet& s = r.sheet;
  const AreaId t = g_.find_table(s.station);
  const auto& levels = g_.election().levels;
  auto field = [&](const std::string& name) -> std::optional<int64_t> {
    auto it = s.fields.find(name);
    if (it == s.fields.end()) return std::nullopt;
    return it->second;
  };
  auto candidate = [&](const std::string& code) -> std::optional<int64_t> {
    auto it = s.candidates.find(code);
    if (it == s.candidates.end()) return std::nullopt;
    return it->second;
  };
  ++rows_;
  if (format_ == ExportFormat::kJson) {
    Json j;
    j["table"] = s.station;
    Json areas = Json::object();
    for (size_t i = 0; i + 1 < levels.size(); ++i) {
      areas[levels[i].code] = t == kNoArea ? Json(nullptr) : Json(g_.area(g_.ancestor(t, int(i) + 1)).code);
    }
    j["areas"] = std::move(areas);
    j["source"] = s.source;
    j["log_index"] = r.log_index;
    j["supersedes"] = s.supersedes ? Json(*s.supersedes) : Json(nullptr);
    j["conflicted"] = r.conflicted;
    // null for a station absent from the registry or whose registered voters are unknown
    j["registered"] = t == kNoArea || g_.area(t).tables_registered_unknown != 0 ? Json(nullptr)
                                                                              : Json(g_.area(t).registered_voters);
    Json fields = Json::object();
    for (const std::string& f : g_.fields()) fields[f] = field(f) ? Json(*field(f)) : Json(nullptr);
    j["fields"] = std::move(fields);
    Json cands = Json::object();
    for (const auto& c : g_.election().candidates) cands[c.code] = candidate(c.code) ? Json(*candidate(c.code)) : Json(nullptr);
    j["candidates"] = std::move(cands);
    if (!s.cards.empty()) j["cards"] = s.cards;
    j["image_sha256"] = s.image_sha256;
    return (rows_ > 1 ? ",\n" : "") + dump(j);
  }
  std::string out = csv_field(s.station);
  for (size_t i = 0; i + 1 < levels.size(); ++i) {
    out += "," + (t == kNoArea ? std::string() : csv_field(g_.area(g_.ancestor(t, int(i) + 1)).code));
  }
  out += "," + csv_field(s.source) + "," + std::to_string(r.log_index) + "," +
         (s.supersedes ? std::to_string(*s.supersedes) : std::string()) + "," + (r.conflicted ? "1" : "0") + "," +
         (t == kNoArea || g_.area(t).tables_registered_unknown != 0 ? std::string()
                                                                    : std::to_string(g_.area(t).registered_voters));
  for (const std::string& f : g_.fields()) out += "," + (field(f) ? std::to_string(*field(f)) : std::string());
  for (const auto& c : g_.election().candidates) {
    out += "," + (candidate(c.code) ? std::to_string(*candidate(c.code)) : std::string());
  }
  for (size_t i = 0; i < g_.card_count(); ++i) {
    out += "," + (i < s.cards.size() && s.cards.size() == g_.card_count() ? std::to_string(s.cards[i]) : std::string());
  }
  return out + "," + csv_field(s.image_sha256) + "\n";
}

std::string SheetExporter::end() { return format_ == ExportFormat::kJson ? "\n]}\n" : std::string(); }

}  // namespace tallylog::tally
