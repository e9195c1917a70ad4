// Canonical JSON (RFC 8785) writer for our records and a strict decoder. The writer is
// hand-rolled (the sheet encoder is on the import hot path); member names are written in their
// sorted order by hand, and map keys are sorted by UTF-16 code units. The decoder parses with
// nlohmann-json, maps members to the record, re-encodes and compares bytes: anything that is not
// the one canonical encoding is rejected.
#include "tallylog/election/entry.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "tallylog/base/bytes.h"
#include "tallylog/base/json.h"
#include "tallylog/base/sha256.h"

namespace tallylog::election {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Appends to a std::string through a raw pointer: the string is grown ahead (doubling) and cut
// to the written length by finish(). std::string::push_back is not inlined and was half of the
// sheet encoder's time.
class Sink {
 public:
  explicit Sink(std::string& out, size_t expect) : out_(out), base_(out.size()) {
    out_.resize(base_ + std::max<size_t>(expect, 64));
    p_ = out_.data() + base_;
    end_ = out_.data() + out_.size();
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  ~Sink() { finish(); }

  void ch(char c) {
    if (p_ == end_) grow(1);
    *p_++ = c;
  }
  void raw(const char* data, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) grow(n);
    std::memcpy(p_, data, n);
    p_ += n;
  }
  void raw(std::string_view s) { raw(s.data(), s.size()); }
  // Room for `n` bytes, written with at().
  char* at(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) grow(n);
    return p_;
  }
  void advance(char* to) { p_ = to; }
  void finish() {
    if (p_ != nullptr) out_.resize(static_cast<size_t>(p_ - out_.data()));
    p_ = end_ = nullptr;
  }

 private:
  void grow(size_t n) {
    size_t used = static_cast<size_t>(p_ - out_.data());
    out_.resize(std::max(out_.size() * 2, used + n + 64));
    p_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
  size_t base_;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

void put_string(Sink& out, std::string_view s) {
  out.ch('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.raw(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.raw("\\\"", 2);
        break;
      case '\\':
        out.raw("\\\\", 2);
        break;
      case '\b':
        out.raw("\\b", 2);
        break;
      case '\f':
        out.raw("\\f", 2);
        break;
      case '\n':
        out.raw("\\n", 2);
        break;
      case '\r':
        out.raw("\\r", 2);
        break;
      case '\t':
        out.raw("\\t", 2);
        break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.raw(u, 6);
      }
    }
  }
  out.raw(s.data() + run, s.size() - run);
  out.ch('"');
}

template <typename Int>
void put_int(Sink& out, Int v) {
  char* p = out.at(24);
  out.advance(std::to_chars(p, p + 24, v).ptr);
}

// Appends `"key":` (key is one of our ASCII member names, needing no escape).
void put_key(Sink& out, std::string_view key, bool& first) {
  char* p = out.at(key.size() + 4);
  if (!first) *p++ = ',';
  first = false;
  *p++ = '"';
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  *p++ = '"';
  *p++ = ':';
  out.advance(p);
}

void put_string_member(Sink& out, std::string_view key, std::string_view value, bool& first) {
  if (value.empty()) return;
  put_key(out, key, first);
  put_string(out, value);
}

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      n = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (size_t k = 1; k < n && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

// Writes a string->integer map as a JSON object with keys in UTF-16 code-unit order. std::map
// orders by bytes (= code points), which differs from UTF-16 order only when some key holds a
// character above U+FFFF (4-byte UTF-8): only then do we sort again.
template <typename Map>
void put_int_map(Sink& out, const Map& map) {
  out.ch('{');
  bool astral = false;
  for (const auto& [k, v] : map) {
    for (char ch : k) astral |= static_cast<unsigned char>(ch) >= 0xF0;
  }
  bool first = true;
  auto put = [&](const std::string& k, auto v) {
    if (!first) out.ch(',');
    first = false;
    put_string(out, k);
    out.ch(':');
    put_int(out, v);
  };
  if (!astral) {
    for (const auto& [k, v] : map) put(k, v);
  } else {
    std::vector<std::pair<std::u16string, const typename Map::value_type*>> sorted;
    for (const auto& kv : map) sorted.emplace_back(to_utf16(kv.first), &kv);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key16, kv] : sorted) put(kv->first, kv->second);
  }
  out.ch('}');
}

void put_type_and_version(Sink& out, std::string_view type, bool& first) {
  put_key(out, "type", first);
  put_string(out, type);
  put_key(out, "v", first);
  put_int(out, kEntryFormatVersion);
}

size_t sheet_size_hint(const Sheet& s) {
  return 200 + s.cards.size() * 4 + s.candidates.size() * 16 + s.fields.size() * 16 + s.contest.size() +
         s.qr_payload.size() + s.station.size() + s.source.size() + s.submitted_by.size() +
         s.submitted_at.size() + s.image_sha256.size() + s.device_key.size() + s.device_signature.size();
}

// What write_sheet writes: the entry; the identity (no submitter, no device members: two sheets
// that say the same thing, whoever signed them); the device-signed bytes (no submitter, no
// signature, but the device key, so a signature cannot be moved to another key's sheet).
enum class SheetBytes { kEntry, kIdentity, kSigned };

void write_sheet(const Sheet& s, std::string& str, SheetBytes what) {
  const bool with_submitter = what == SheetBytes::kEntry;
  Sink out(str, sheet_size_hint(s));
  out.ch('{');
  bool first = true;
  if (!s.candidates.empty()) {
    put_key(out, "candidates", first);
    put_int_map(out, s.candidates);
  }
  if (!s.cards.empty()) {
    put_key(out, "cards", first);
    out.ch('[');
    for (size_t i = 0; i < s.cards.size(); ++i) {
      if (i) out.ch(',');
      put_int(out, s.cards[i]);
    }
    out.ch(']');
  }
  put_string_member(out, "contest", s.contest, first);  // omitted when empty: old bytes kept
  if (what != SheetBytes::kIdentity) put_string_member(out, "device_key", s.device_key, first);
  if (what == SheetBytes::kEntry) put_string_member(out, "device_signature", s.device_signature, first);
  if (!s.fields.empty()) {
    put_key(out, "fields", first);
    put_int_map(out, s.fields);
  }
  put_string_member(out, "image_sha256", s.image_sha256, first);
  put_string_member(out, "qr_payload", s.qr_payload, first);
  put_string_member(out, "source", s.source, first);
  put_string_member(out, "station", s.station, first);
  if (with_submitter) {
    put_string_member(out, "submitted_at", s.submitted_at, first);
    put_string_member(out, "submitted_by", s.submitted_by, first);
  }
  if (s.supersedes) {
    put_key(out, "supersedes", first);
    put_int(out, *s.supersedes);
  }
  put_type_and_version(out, "sheet", first);
  out.ch('}');
}

template <typename T, typename Fn>
void put_array_member(Sink& out, std::string_view key, const std::vector<T>& items, bool& first,
                      Fn&& put_item) {
  if (items.empty()) return;
  put_key(out, key, first);
  out.ch('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.ch(',');
    put_item(items[i]);
  }
  out.ch(']');
}

void put_code_name(Sink& out, const std::string& code, const std::string& name) {
  bool first = true;
  out.ch('{');
  put_string_member(out, "code", code, first);
  put_string_member(out, "name", name, first);
  out.ch('}');
}

// A candidate: code and name, and the area where it stands when it stands in one only (omitted
// otherwise, so every election logged before local races keeps its bytes).
void put_candidate(Sink& out, const Candidate& c) {
  bool first = true;
  out.ch('{');
  put_string_member(out, "area", c.area, first);
  put_string_member(out, "code", c.code, first);
  put_string_member(out, "name", c.name, first);
  out.ch('}');
}

// ---- decoding ----------------------------------------------------------------------------

using nlohmann::json;

std::unexpected<Error> bad(std::string message) {
  return err(ErrorCode::kInvalidArgument, "entry: " + std::move(message));
}

// Rejects nesting deeper than `max` before handing bytes to the parser.
bool depth_ok(std::string_view s, int max) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max) return false;
    } else if (c == '}' || c == ']')
      --depth;
  }
  return true;
}

Result<std::string> get_string(const json& v, std::string_view path) {
  if (!v.is_string()) return bad(fmt::format("{} must be a string", path));
  return v.get<std::string>();
}

Result<int64_t> get_int(const json& v, std::string_view path) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMaxJsonInteger))
      return bad(fmt::format("{} is larger than 2^53-1", path));
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < -kMaxJsonInteger || i > kMaxJsonInteger)
      return bad(fmt::format("{} is out of range (|n| <= 2^53-1)", path));
    return i;
  }
  if (v.is_number_float())
    return bad(fmt::format("{} must be an integer, not a fraction or exponent", path));
  return bad(fmt::format("{} must be an integer", path));
}

Result<uint64_t> get_uint(const json& v, std::string_view path) {
  TL_ASSIGN_OR_RETURN(int64_t i, get_int(v, path));
  if (i < 0) return bad(fmt::format("{} must not be negative", path));
  return static_cast<uint64_t>(i);
}

Result<std::vector<std::string>> get_string_array(const json& v, std::string_view path) {
  if (!v.is_array()) return bad(fmt::format("{} must be an array", path));
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    TL_ASSIGN_OR_RETURN(auto s, get_string(v[i], fmt::format("{}[{}]", path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

template <typename Value, typename Map = std::map<std::string, Value>>
Result<Map> get_int_map(const json& v, std::string_view path) {
  if (!v.is_object()) return bad(fmt::format("{} must be an object", path));
  Map out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string p = fmt::format("{}.{}", path, it.key());
    if constexpr (std::is_signed_v<Value>) {
      TL_ASSIGN_OR_RETURN(out[it.key()], get_int(it.value(), p));
    } else {
      TL_ASSIGN_OR_RETURN(out[it.key()], get_uint(it.value(), p));
    }
  }
  return out;
}

Result<std::pair<std::string, std::string>> get_code_name(const json& v, std::string_view path) {
  if (!v.is_object()) return bad(fmt::format("{} must be an object", path));
  std::pair<std::string, std::string> out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "code") {
      TL_ASSIGN_OR_RETURN(out.first, get_string(it.value(), fmt::format("{}.code", path)));
    } else if (it.key() == "name") {
      TL_ASSIGN_OR_RETURN(out.second, get_string(it.value(), fmt::format("{}.name", path)));
    } else {
      return bad(fmt::format("{}: unknown member \"{}\"", path, it.key()));
    }
  }
  if (out.first.empty()) return bad(fmt::format("{}.code is missing", path));
  return out;
}

Result<Candidate> get_candidate(const json& v, std::string_view path) {
  if (!v.is_object()) return bad(fmt::format("{} must be an object", path));
  Candidate out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "code") {
      TL_ASSIGN_OR_RETURN(out.code, get_string(it.value(), fmt::format("{}.code", path)));
    } else if (it.key() == "name") {
      TL_ASSIGN_OR_RETURN(out.name, get_string(it.value(), fmt::format("{}.name", path)));
    } else if (it.key() == "area") {
      TL_ASSIGN_OR_RETURN(out.area, get_string(it.value(), fmt::format("{}.area", path)));
    } else {
      return bad(fmt::format("{}: unknown member \"{}\"", path, it.key()));
    }
  }
  if (out.code.empty()) return bad(fmt::format("{}.code is missing", path));
  return out;
}

Result<UnregisteredTables> get_unregistered_tables(const json& v, std::string_view path) {
  if (!v.is_object()) return bad(fmt::format("{} must be an object", path));
  UnregisteredTables out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string p = fmt::format("{}.{}", path, it.key());
    if (it.key() == "count") {
      TL_ASSIGN_OR_RETURN(out.count, get_uint(it.value(), p));
    } else if (it.key() == "max_voters_per_table") {
      TL_ASSIGN_OR_RETURN(out.max_voters_per_table, get_uint(it.value(), p));
    } else if (it.key() == "areas") {
      TL_ASSIGN_OR_RETURN(out.areas, get_int_map<uint64_t>(it.value(), p));
    } else {
      return bad(fmt::format("{}: unknown member \"{}\"", path, it.key()));
    }
  }
  return out;
}

Result<RegistryTotals> get_registry_totals(const json& v, std::string_view path) {
  if (!v.is_object()) return bad(fmt::format("{} must be an object", path));
  RegistryTotals out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string p = fmt::format("{}.{}", path, it.key());
    if (it.key() == "total") {
      TL_ASSIGN_OR_RETURN(out.total, get_uint(it.value(), p));
    } else if (it.key() == "source") {
      TL_ASSIGN_OR_RETURN(out.source, get_string(it.value(), p));
    } else if (it.key() == "areas") {
      TL_ASSIGN_OR_RETURN(out.areas, get_int_map<uint64_t>(it.value(), p));
    } else {
      return bad(fmt::format("{}: unknown member \"{}\"", path, it.key()));
    }
  }
  return out;
}

Result<Figures> get_figures(const json& v, std::string_view path) {
  if (!v.is_object()) return bad(fmt::format("{} must be an object", path));
  Figures out;
  for (auto f = v.begin(); f != v.end(); ++f) {
    std::string* member = f.key() == "valid"     ? &out.valid
                          : f.key() == "invalid" ? &out.invalid
                          : f.key() == "cast"    ? &out.cast
                          : f.key() == "turnout" ? &out.turnout
                          : f.key() == "shares"  ? &out.shares
                                                 : nullptr;
    if (!member) return bad(fmt::format("{}: unknown member \"{}\"", path, f.key()));
    TL_ASSIGN_OR_RETURN(*member, get_string(f.value(), fmt::format("{}.{}", path, f.key())));
  }
  return out;
}

Result<std::vector<FlagRule>> get_flags(const json& v, std::string_view base) {
  if (!v.is_array()) return bad(fmt::format("{} must be an array", base));
  std::vector<FlagRule> out;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("{}[{}]", base, i);
    if (!v[i].is_object()) return bad(path + " must be an object");
    FlagRule r;
    for (auto m = v[i].begin(); m != v[i].end(); ++m) {
      if (m.key() == "rule") {
        TL_ASSIGN_OR_RETURN(r.rule, get_string(m.value(), path + ".rule"));
      } else if (m.key() == "note") {
        TL_ASSIGN_OR_RETURN(r.note, get_string(m.value(), path + ".note"));
      } else {
        return bad(fmt::format("{}: unknown member \"{}\"", path, m.key()));
      }
    }
    if (r.rule.empty()) return bad(path + ".rule is missing");
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<Card>> get_cards(const json& v, std::string_view base) {
  if (!v.is_array()) return bad(fmt::format("{} must be an array", base));
  std::vector<Card> out;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string path = fmt::format("{}[{}]", base, i);
    if (!v[i].is_object()) return bad(path + " must be an object");
    Card card;
    for (auto c = v[i].begin(); c != v[i].end(); ++c) {
      if (c.key() == "position") {
        TL_ASSIGN_OR_RETURN(uint64_t pos, get_uint(c.value(), path + ".position"));
        if (pos > 1000000) return bad(path + ".position is out of range");
        card.position = static_cast<int>(pos);
      } else if (c.key() == "party") {
        TL_ASSIGN_OR_RETURN(card.party, get_string(c.value(), path + ".party"));
      } else if (c.key() == "candidate") {
        TL_ASSIGN_OR_RETURN(card.candidate, get_string(c.value(), path + ".candidate"));
      } else {
        return bad(fmt::format("{}: unknown member \"{}\"", path, c.key()));
      }
    }
    out.push_back(std::move(card));
  }
  return out;
}

Result<Contest> get_contest(const json& j, const std::string& path) {
  if (!j.is_object()) return bad(path + " must be an object");
  Contest c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    const std::string p = path + "." + k;
    if (k == "id") {
      TL_ASSIGN_OR_RETURN(c.id, get_string(v, p));
    } else if (k == "name") {
      TL_ASSIGN_OR_RETURN(c.name, get_string(v, p));
    } else if (k == "qr_profile") {
      TL_ASSIGN_OR_RETURN(c.qr_profile, get_string(v, p));
    } else if (k == "decided_at") {
      TL_ASSIGN_OR_RETURN(c.decided_at, get_string(v, p));
    } else if (k == "fields") {
      TL_ASSIGN_OR_RETURN(c.fields, get_string_array(v, p));
    } else if (k == "optional") {
      TL_ASSIGN_OR_RETURN(c.optional, get_string_array(v, p));
    } else if (k == "rules") {
      TL_ASSIGN_OR_RETURN(c.rules, get_string_array(v, p));
    } else if (k == "figures") {
      TL_ASSIGN_OR_RETURN(c.figures, get_figures(v, p));
    } else if (k == "flags") {
      TL_ASSIGN_OR_RETURN(c.flags, get_flags(v, p));
    } else if (k == "cards") {
      TL_ASSIGN_OR_RETURN(c.cards, get_cards(v, p));
    } else if (k == "candidates") {
      if (!v.is_array()) return bad(p + " must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        TL_ASSIGN_OR_RETURN(Candidate cand, get_candidate(v[i], fmt::format("{}[{}]", p, i)));
        c.candidates.push_back(std::move(cand));
      }
    } else {
      return bad(fmt::format("{}: unknown member \"{}\"", path, k));
    }
  }
  if (c.id.empty()) return bad(fmt::format("{}: member \"id\" is missing", path));
  if (c.candidates.empty()) return bad(fmt::format("{}: member \"candidates\" is missing", path));
  return c;
}

Result<Organisation> get_organisation(const json& j, const std::string& path) {
  if (!j.is_object()) return bad(path + " must be an object");
  Organisation o;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string p = path + "." + it.key();
    if (it.key() == "id") {
      TL_ASSIGN_OR_RETURN(o.id, get_string(it.value(), p));
    } else if (it.key() == "name") {
      TL_ASSIGN_OR_RETURN(o.name, get_string(it.value(), p));
    } else if (it.key() == "key") {
      TL_ASSIGN_OR_RETURN(o.key, get_string(it.value(), p));
    } else if (it.key() == "sources") {
      TL_ASSIGN_OR_RETURN(o.sources, get_string_array(it.value(), p));
    } else {
      return bad(fmt::format("{}: unknown member \"{}\"", path, it.key()));
    }
  }
  if (o.id.empty()) return bad(path + ": member \"id\" is missing");
  if (o.key.empty()) return bad(path + ": member \"key\" is missing");
  return o;
}

Result<Election> decode_election(const json& j) {
  Election e;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "type" || k == "v") continue;
    if (k == "id") {
      TL_ASSIGN_OR_RETURN(e.id, get_string(v, k));
    } else if (k == "name") {
      TL_ASSIGN_OR_RETURN(e.name, get_string(v, k));
    } else if (k == "date") {
      TL_ASSIGN_OR_RETURN(e.date, get_string(v, k));
    } else if (k == "contest") {
      TL_ASSIGN_OR_RETURN(e.contest, get_string(v, k));
    } else if (k == "qr_profile") {
      TL_ASSIGN_OR_RETURN(e.qr_profile, get_string(v, k));
    } else if (k == "decided_at") {
      TL_ASSIGN_OR_RETURN(e.decided_at, get_string(v, k));
    } else if (k == "fields") {
      TL_ASSIGN_OR_RETURN(e.fields, get_string_array(v, k));
    } else if (k == "optional") {
      TL_ASSIGN_OR_RETURN(e.optional, get_string_array(v, k));
    } else if (k == "rules") {
      TL_ASSIGN_OR_RETURN(e.rules, get_string_array(v, k));
    } else if (k == "figures") {
      TL_ASSIGN_OR_RETURN(e.figures, get_figures(v, k));
    } else if (k == "flags") {
      TL_ASSIGN_OR_RETURN(e.flags, get_flags(v, k));
    } else if (k == "contests") {
      if (!v.is_array()) return bad("contests must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        TL_ASSIGN_OR_RETURN(Contest c, get_contest(v[i], fmt::format("contests[{}]", i)));
        e.contests.push_back(std::move(c));
      }
    } else if (k == "sources") {
      TL_ASSIGN_OR_RETURN(e.sources, get_string_array(v, k));
    } else if (k == "unregistered_voters") {
      TL_ASSIGN_OR_RETURN(e.unregistered_voters, get_int_map<uint64_t>(v, k));
    } else if (k == "unregistered_tables") {
      TL_ASSIGN_OR_RETURN(e.unregistered_tables, get_unregistered_tables(v, k));
    } else if (k == "registry_totals") {
      TL_ASSIGN_OR_RETURN(e.registry_totals, get_registry_totals(v, k));
    } else if (k == "levels") {
      if (!v.is_array()) return bad(k + " must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        TL_ASSIGN_OR_RETURN(auto cn, get_code_name(v[i], fmt::format("{}[{}]", k, i)));
        e.levels.push_back(Level{std::move(cn.first), std::move(cn.second)});
      }
    } else if (k == "candidates") {
      if (!v.is_array()) return bad(k + " must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        TL_ASSIGN_OR_RETURN(Candidate cand, get_candidate(v[i], fmt::format("{}[{}]", k, i)));
        e.candidates.push_back(std::move(cand));
      }
    } else if (k == "cards") {
      TL_ASSIGN_OR_RETURN(e.cards, get_cards(v, k));
    } else if (k == "organisations") {
      if (!v.is_array()) return bad("organisations must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        TL_ASSIGN_OR_RETURN(Organisation o, get_organisation(v[i], fmt::format("organisations[{}]", i)));
        e.organisations.push_back(std::move(o));
      }
    } else if (k == "submissions") {
      if (!v.is_object()) return bad("submissions must be an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (m.key() != "require_device_signature")
          return bad(fmt::format("submissions: unknown member \"{}\"", m.key()));
        TL_ASSIGN_OR_RETURN(e.require_device_signature,
                            get_string_array(m.value(), "submissions.require_device_signature"));
      }
    } else {
      return bad(fmt::format("election: unknown member \"{}\"", k));
    }
  }
  // A single-contest election names its contest and candidates; one with several holds them in
  // "contests" (and validate_election refuses ballot members beside them).
  const bool single = e.contests.empty();
  for (auto [name, empty] : {std::pair{"id", e.id.empty()},
                             {"name", e.name.empty()},
                             {"date", e.date.empty()},
                             {"contest", single && e.contest.empty()},
                             {"levels", e.levels.empty()},
                             {"candidates", single && e.candidates.empty()},
                             {"sources", e.sources.empty()}}) {
    if (empty) return bad(fmt::format("election: member \"{}\" is missing", name));
  }
  return e;
}

Result<Station> decode_station(const json& j) {
  Station s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "type" || k == "v") continue;
    if (k == "code") {
      TL_ASSIGN_OR_RETURN(s.code, get_string(v, k));
    } else if (k == "registered") {
      // Absent when the registry does not know the station's voters; never null.
      TL_ASSIGN_OR_RETURN(s.registered, get_uint(v, k));
    } else if (k == "areas") {
      if (!v.is_array()) return bad("areas must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        TL_ASSIGN_OR_RETURN(auto cn, get_code_name(v[i], fmt::format("areas[{}]", i)));
        s.areas.push_back(AreaRef{std::move(cn.first), std::move(cn.second)});
      }
    } else {
      return bad(fmt::format("station: unknown member \"{}\"", k));
    }
  }
  if (s.code.empty()) return bad("station: member \"code\" is missing");
  if (s.areas.empty()) return bad("station: member \"areas\" is missing");
  return s;
}

Result<Sheet> decode_sheet(const json& j) {
  Sheet s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "type" || k == "v") continue;
    if (k == "station") {
      TL_ASSIGN_OR_RETURN(s.station, get_string(v, k));
    } else if (k == "source") {
      TL_ASSIGN_OR_RETURN(s.source, get_string(v, k));
    } else if (k == "contest") {
      TL_ASSIGN_OR_RETURN(s.contest, get_string(v, k));
    } else if (k == "image_sha256") {
      TL_ASSIGN_OR_RETURN(s.image_sha256, get_string(v, k));
    } else if (k == "device_key") {
      TL_ASSIGN_OR_RETURN(s.device_key, get_string(v, k));
    } else if (k == "device_signature") {
      TL_ASSIGN_OR_RETURN(s.device_signature, get_string(v, k));
    } else if (k == "qr_payload") {
      TL_ASSIGN_OR_RETURN(s.qr_payload, get_string(v, k));
    } else if (k == "submitted_by") {
      TL_ASSIGN_OR_RETURN(s.submitted_by, get_string(v, k));
    } else if (k == "submitted_at") {
      TL_ASSIGN_OR_RETURN(s.submitted_at, get_string(v, k));
    } else if (k == "supersedes") {
      TL_ASSIGN_OR_RETURN(s.supersedes, get_uint(v, k));
    } else if (k == "candidates") {
      TL_ASSIGN_OR_RETURN(s.candidates, (get_int_map<int64_t, CountMap>(v, k)));
    } else if (k == "fields") {
      TL_ASSIGN_OR_RETURN(s.fields, (get_int_map<int64_t, CountMap>(v, k)));
    } else if (k == "cards") {
      if (!v.is_array()) return bad("cards must be an array");
      s.cards.reserve(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        TL_ASSIGN_OR_RETURN(int64_t n, get_int(v[i], fmt::format("cards[{}]", i)));
        s.cards.push_back(n);
      }
    } else {
      return bad(fmt::format("sheet: unknown member \"{}\"", k));
    }
  }
  if (s.station.empty()) return bad("sheet: member \"station\" is missing");
  if (s.source.empty()) return bad("sheet: member \"source\" is missing");
  if (s.candidates.empty()) return bad("sheet: member \"candidates\" is missing");
  // A signature without its key (or a key without a signature) is not a signed sheet.
  if (s.device_key.empty() != s.device_signature.empty())
    return bad(s.device_key.empty() ? "sheet: member \"device_signature\" without \"device_key\""
                                     : "sheet: member \"device_key\" without \"device_signature\"");
  return s;
}

// ---- fast path for sheets ------------------------------------------------------------------
//
// A strict hand-rolled reader for the canonical sheet encoding (the index decodes every sheet it
// reads, so this is on the tally path too). It accepts a subset of JSON: no whitespace, members
// in canonical order, canonical integers and minimally escaped strings. Whatever it returns is
// still re-encoded and compared with the input by decode_entry(); anything it does not accept
// goes to the general decoder, which gives the error message. Both accept exactly the canonical
// encodings of sheets.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool at_end() const { return p_ == end_; }
  bool peek(char c) const { return p_ != end_ && *p_ == c; }
  bool lit(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  bool string(std::string& out) {
    if (!lit('"')) return false;
    out.clear();
    const char* run = p_;
    while (p_ != end_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return is_valid_utf8(out);
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        ++p_;
        continue;
      }
      out.append(run, p_);
      if (++p_ == end_) return false;
      switch (*p_++) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          // Only \u00XX for control characters without a short form, in lowercase hex.
          if (end_ - p_ < 4 || p_[0] != '0' || p_[1] != '0' || (p_[2] != '0' && p_[2] != '1'))
            return false;
          char lo = p_[3];
          int v = (p_[2] - '0') * 16;
          if (lo >= '0' && lo <= '9')
            v += lo - '0';
          else if (lo >= 'a' && lo <= 'f')
            v += lo - 'a' + 10;
          else
            return false;
          if (v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t') return false;
          out.push_back(static_cast<char>(v));
          p_ += 4;
          break;
        }
        default:
          return false;
      }
      run = p_;
    }
    return false;
  }

  bool integer(int64_t& out) {
    bool neg = lit('-');
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
      if (neg) return false;  // "-0"
      out = 0;
    } else {
      int64_t v = 0;
      int digits = 0;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        if (++digits > 16) return false;
        v = v * 10 + (*p_++ - '0');
      }
      if (v > kMaxJsonInteger) return false;
      out = neg ? -v : v;
    }
    return p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E' && (*p_ < '0' || *p_ > '9'));
  }

  bool int_map(CountMap& out, std::string& key) {
    if (!lit('{')) return false;
    if (lit('}')) return true;
    do {
      int64_t v;
      if (!string(key) || !lit(':') || !integer(v)) return false;
      out.emplace_hint(out.end(), key, v);
    } while (lit(','));
    return lit('}');
  }

 private:
  const char* p_;
  const char* end_;
};

// Returns nullopt when the fast reader does not accept `bytes` (the general decoder then decides).
std::optional<Sheet> fast_decode_sheet(std::string_view bytes) {
  static constexpr std::string_view kTail = "\"type\":\"sheet\",\"v\":1}";
  if (bytes.size() < kTail.size() + 2 || !bytes.ends_with(kTail)) return std::nullopt;
  static constexpr std::string_view kKeys[] = {
      "candidates",   "cards",        "contest",    "device_key", "device_signature", "fields",
      "image_sha256", "qr_payload",   "source",     "station",    "submitted_at",     "submitted_by",
      "supersedes",   "type"};
  Cursor c(bytes);
  Sheet s;
  std::string key;
  key.reserve(16);
  size_t next = 0;
  if (!c.lit('{')) return std::nullopt;
  for (;;) {
    if (!c.string(key) || !c.lit(':')) return std::nullopt;
    while (next < std::size(kKeys) && kKeys[next] != key) ++next;
    if (next == std::size(kKeys)) return std::nullopt;
    bool ok = true;
    switch (next) {
      case 0:
        ok = c.int_map(s.candidates, key);
        break;
      case 1: {
        ok = c.lit('[');
        if (ok && !c.lit(']')) {
          s.cards.reserve(64);
          do {
            int64_t v;
            ok = c.integer(v);
            s.cards.push_back(v);
          } while (ok && c.lit(','));
          ok = ok && c.lit(']');
        }
        break;
      }
      case 2:
        ok = c.string(s.contest) && !s.contest.empty();
        break;
      case 3:
        ok = c.string(s.device_key) && !s.device_key.empty();
        break;
      case 4:
        ok = c.string(s.device_signature) && !s.device_signature.empty();
        break;
      case 5:
        ok = c.int_map(s.fields, key);
        break;
      case 6:
        ok = c.string(s.image_sha256);
        break;
      case 7:
        ok = c.string(s.qr_payload);
        break;
      case 8:
        ok = c.string(s.source);
        break;
      case 9:
        ok = c.string(s.station);
        break;
      case 10:
        ok = c.string(s.submitted_at);
        break;
      case 11:
        ok = c.string(s.submitted_by);
        break;
      case 12: {
        int64_t v;
        ok = c.integer(v) && v >= 0;
        if (ok) s.supersedes = static_cast<uint64_t>(v);
        break;
      }
      case 13: {
        // The tail ("type":"sheet","v":1}) was checked up front; make sure we are at it.
        std::string type;
        int64_t v;
        ok = c.string(type) && type == "sheet" && c.lit(',') && c.string(key) && key == "v" &&
             c.lit(':') && c.integer(v) && v == kEntryFormatVersion && c.lit('}') && c.at_end();
        if (!ok) return std::nullopt;
        if (s.station.empty() || s.source.empty() || s.candidates.empty()) return std::nullopt;
        if (s.device_key.empty() != s.device_signature.empty()) return std::nullopt;
        return s;
      }
    }
    if (!ok || !c.lit(',')) return std::nullopt;
    ++next;
  }
}

// A station entry ({"areas":[{"code":..,"name":..},...],"code":..,["registered":N,]"type":
// "station","v":1}) read without building a JSON tree: a registry is half of a national log, and
// reindex, catch-up and the audit's replay decode every entry. nullopt: the general decoder decides.
std::optional<Station> fast_decode_station(std::string_view bytes) {
  static constexpr std::string_view kTail = "\"type\":\"station\",\"v\":1}";
  static constexpr std::string_view kHead = "{\"areas\":[";
  if (!bytes.starts_with(kHead) || !bytes.ends_with(kTail)) return std::nullopt;
  Cursor c(bytes.substr(0, bytes.size() - kTail.size()));
  Station s;
  std::string key;
  if (!c.lit('{') || !c.string(key) || key != "areas" || !c.lit(':') || !c.lit('[')) return std::nullopt;
  do {
    AreaRef a;
    if (!c.lit('{') || !c.string(key) || key != "code" || !c.lit(':') || !c.string(a.code)) return std::nullopt;
    // An empty name is left out of the entry (as every empty string member is).
    if (c.lit(',') && (!c.string(key) || key != "name" || !c.lit(':') || !c.string(a.name))) return std::nullopt;
    if (!c.lit('}')) return std::nullopt;
    s.areas.push_back(std::move(a));
  } while (c.lit(','));
  if (!c.lit(']') || !c.lit(',') || !c.string(key) || key != "code" || !c.lit(':') || !c.string(s.code) || !c.lit(','))
    return std::nullopt;
  if (!c.at_end()) {
    int64_t v;
    if (!c.string(key) || key != "registered" || !c.lit(':') || !c.integer(v) || v < 0 || !c.lit(',') || !c.at_end())
      return std::nullopt;
    s.registered = static_cast<uint64_t>(v);
  }
  return s;  // empty codes re-encode to other bytes: decode_entry's check refuses them
}

}  // namespace

std::string_view entry_type_name(EntryType type) {
  switch (type) {
    case EntryType::kElection:
      return "election";
    case EntryType::kStation:
      return "station";
    case EntryType::kSheet:
      return "sheet";
    case EntryType::kDeclaration:
      return "declaration";
    case EntryType::kDevice:
      return "device";
  }
  return "?";
}

void append_sheet_entry(const Sheet& sheet, std::string& out) { write_sheet(sheet, out, SheetBytes::kEntry); }

std::string encode_entry(const Sheet& sheet) {
  std::string out;  // write_sheet sizes it from sheet_size_hint
  write_sheet(sheet, out, SheetBytes::kEntry);
  return out;
}

std::string sheet_signed_message(const Sheet& sheet) {
  std::string out(kSheetSignatureContext);
  write_sheet(sheet, out, SheetBytes::kSigned);
  return out;
}

std::string encode_entry(const Declaration& d) { return encode_declaration(d); }

std::string encode_entry(const DeviceRecord& r) { return encode_device_record(r); }

std::string encode_entry(const Station& s) {
  std::string str;
  {
    Sink out(str, 128 + s.areas.size() * 48);
    out.ch('{');
    bool first = true;
    put_array_member(out, "areas", s.areas, first,
                     [&](const AreaRef& a) { put_code_name(out, a.code, a.name); });
    put_string_member(out, "code", s.code, first);
    if (s.registered) {  // omitted when unknown, so known figures keep today's bytes
      put_key(out, "registered", first);
      put_int(out, *s.registered);
    }
    put_type_and_version(out, "station", first);
    out.ch('}');
  }
  return str;
}

namespace {

void put_cards_member(Sink& out, const std::vector<Card>& cards, bool& first) {
  put_array_member(out, "cards", cards, first, [&](const Card& c) {
    bool f = true;
    out.ch('{');
    put_string_member(out, "candidate", c.candidate, f);
    put_string_member(out, "party", c.party, f);
    put_key(out, "position", f);
    put_int(out, c.position);
    out.ch('}');
  });
}

void put_figures_member(Sink& out, const Figures& f, bool& first) {
  if (f.empty()) return;
  put_key(out, "figures", first);
  out.ch('{');
  bool ff = true;
  put_string_member(out, "cast", f.cast, ff);
  put_string_member(out, "invalid", f.invalid, ff);
  put_string_member(out, "shares", f.shares, ff);
  put_string_member(out, "turnout", f.turnout, ff);
  put_string_member(out, "valid", f.valid, ff);
  out.ch('}');
}

void put_flags_member(Sink& out, const std::vector<FlagRule>& flags, bool& first) {
  put_array_member(out, "flags", flags, first, [&](const FlagRule& r) {
    bool f = true;
    out.ch('{');
    put_string_member(out, "note", r.note, f);
    put_string_member(out, "rule", r.rule, f);
    out.ch('}');
  });
}

}  // namespace

std::string encode_entry(const Election& e) {
  std::string str;
  Sink out(str, 4096);
  out.ch('{');
  bool first = true;
  auto put_str = [&](const std::string& s) { put_string(out, s); };
  put_array_member(out, "candidates", e.candidates, first, [&](const Candidate& c) { put_candidate(out, c); });
  put_cards_member(out, e.cards, first);
  put_string_member(out, "contest", e.contest, first);
  put_array_member(out, "contests", e.contests, first, [&](const Contest& c) {
    bool f = true;
    out.ch('{');
    put_array_member(out, "candidates", c.candidates, f, [&](const Candidate& x) { put_candidate(out, x); });
    put_cards_member(out, c.cards, f);
    put_string_member(out, "decided_at", c.decided_at, f);
    put_array_member(out, "fields", c.fields, f, put_str);
    put_figures_member(out, c.figures, f);
    put_flags_member(out, c.flags, f);
    put_string_member(out, "id", c.id, f);
    put_string_member(out, "name", c.name, f);
    put_array_member(out, "optional", c.optional, f, put_str);
    put_string_member(out, "qr_profile", c.qr_profile, f);
    put_array_member(out, "rules", c.rules, f, put_str);
    out.ch('}');
  });
  put_string_member(out, "date", e.date, first);
  put_string_member(out, "decided_at", e.decided_at, first);
  put_array_member(out, "fields", e.fields, first, put_str);
  put_figures_member(out, e.figures, first);
  put_flags_member(out, e.flags, first);
  put_string_member(out, "id", e.id, first);
  put_array_member(out, "levels", e.levels, first,
                   [&](const Level& l) { put_code_name(out, l.code, l.name); });
  put_string_member(out, "name", e.name, first);
  put_array_member(out, "optional", e.optional, first, put_str);
  put_array_member(out, "organisations", e.organisations, first, [&](const Organisation& o) {
    bool f = true;
    out.ch('{');
    put_string_member(out, "id", o.id, f);
    put_string_member(out, "key", o.key, f);
    put_string_member(out, "name", o.name, f);
    put_array_member(out, "sources", o.sources, f, put_str);
    out.ch('}');
  });
  put_string_member(out, "qr_profile", e.qr_profile, first);
  if (const RegistryTotals& rt = e.registry_totals; !rt.empty()) {
    put_key(out, "registry_totals", first);
    out.ch('{');
    bool f = true;
    if (!rt.areas.empty()) {
      put_key(out, "areas", f);
      put_int_map(out, rt.areas);
    }
    put_string_member(out, "source", rt.source, f);
    if (rt.total) {
      put_key(out, "total", f);
      put_int(out, *rt.total);
    }
    out.ch('}');
  }
  put_array_member(out, "rules", e.rules, first, put_str);
  put_array_member(out, "sources", e.sources, first, put_str);
  if (!e.require_device_signature.empty()) {  // absent when empty: older elections keep their bytes
    put_key(out, "submissions", first);
    out.ch('{');
    bool f = true;
    put_array_member(out, "require_device_signature", e.require_device_signature, f, put_str);
    out.ch('}');
  }
  put_key(out, "type", first);
  put_string(out, "election");
  if (const UnregisteredTables& ut = e.unregistered_tables; !ut.empty()) {
    put_key(out, "unregistered_tables", first);
    out.ch('{');
    bool f = true;
    if (!ut.areas.empty()) {
      put_key(out, "areas", f);
      put_int_map(out, ut.areas);
    }
    if (ut.count != 0) {
      put_key(out, "count", f);
      put_int(out, ut.count);
    }
    if (ut.max_voters_per_table) {
      put_key(out, "max_voters_per_table", f);
      put_int(out, *ut.max_voters_per_table);
    }
    out.ch('}');
  }
  if (!e.unregistered_voters.empty()) {
    put_key(out, "unregistered_voters", first);
    put_int_map(out, e.unregistered_voters);
  }
  put_key(out, "v", first);
  put_int(out, kEntryFormatVersion);
  out.ch('}');
  out.finish();
  return str;
}

bool is_record_entry(std::string_view bytes) { return !bytes.empty() && bytes.front() == '{'; }

Result<Entry> decode_entry(std::string_view bytes) {
  if (bytes.size() <= kMaxEntryBytes) {
    if (auto fast = fast_decode_sheet(bytes)) {
      if (encode_entry(*fast) == bytes) return Entry{EntryType::kSheet, std::move(*fast)};
    }
    if (auto fast = fast_decode_station(bytes)) {
      if (encode_entry(*fast) == bytes) return Entry{EntryType::kStation, std::move(*fast)};
    }
  }
  return internal::decode_entry_general(bytes);
}

Result<Entry> internal::decode_entry_general(std::string_view bytes) {
  if (!is_record_entry(bytes)) return bad("not a JSON record (does not start with '{')");
  if (bytes.size() > kMaxEntryBytes)
    return bad(
        fmt::format("{} bytes is larger than the {} byte limit", bytes.size(), kMaxEntryBytes));
  if (!depth_ok(bytes, 8)) return bad("nested more than 8 levels deep");
  auto parsed = parse_json_object(bytes);
  if (!parsed) return bad(parsed.error().message);
  json j = std::move(*parsed);
  auto type_it = j.find("type");
  if (type_it == j.end() || !type_it->is_string())
    return bad("member \"type\" is missing or not a string");
  auto v_it = j.find("v");
  if (v_it == j.end()) return bad("member \"v\" (format version) is missing");
  TL_ASSIGN_OR_RETURN(int64_t version, get_int(*v_it, "v"));
  if (version != kEntryFormatVersion)
    return bad(fmt::format("format version {} is not supported (this build reads {})", version,
                           kEntryFormatVersion));
  const std::string& type = type_it->get_ref<const std::string&>();
  Entry entry;
  std::string canonical;
  if (type == "sheet") {
    TL_ASSIGN_OR_RETURN(Sheet s, decode_sheet(j));
    canonical = encode_entry(s);
    entry = Entry{EntryType::kSheet, std::move(s)};
  } else if (type == "station") {
    TL_ASSIGN_OR_RETURN(Station s, decode_station(j));
    canonical = encode_entry(s);
    entry = Entry{EntryType::kStation, std::move(s)};
  } else if (type == "election") {
    TL_ASSIGN_OR_RETURN(Election e, decode_election(j));
    canonical = encode_entry(e);
    entry = Entry{EntryType::kElection, std::move(e)};
  } else if (type == "declaration") {
    TL_ASSIGN_OR_RETURN(Declaration d, decode_declaration(bytes));
    canonical = encode_entry(d);
    entry = Entry{EntryType::kDeclaration, std::move(d)};
  } else if (type == "device") {
    TL_ASSIGN_OR_RETURN(DeviceRecord r, decode_device_record(bytes));
    canonical = encode_entry(r);
    entry = Entry{EntryType::kDevice, std::move(r)};
  } else {
    return bad(fmt::format("unknown type \"{}\"", type.substr(0, 64)));
  }
  if (canonical != bytes) {
    size_t at = 0;
    while (at < canonical.size() && at < bytes.size() && canonical[at] == bytes[at]) ++at;
    return bad(fmt::format("{} is not in canonical form (RFC 8785): differs at byte {}", type, at));
  }
  return entry;
}

std::string sheet_identity_key(const Sheet& sheet) {
  std::string out;  // write_sheet sizes it from sheet_size_hint
  write_sheet(sheet, out, SheetBytes::kIdentity);
  return out;
}

std::string sheet_identity_digest(const Sheet& sheet) {
  thread_local std::string buffer;  // reused: ingest calls this once per sheet
  buffer.clear();
  write_sheet(sheet, buffer, SheetBytes::kIdentity);
  Sha256Digest d = sha256(buffer);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace tallylog::election
