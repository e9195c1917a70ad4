#include "tallylog/tally/count_vector.h"

#include <algorithm>

namespace tallylog::tally {
namespace {

constexpr uint8_t kCountsVersion = 1;

void put_uvarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_uvarint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const uint8_t b = static_cast<uint8_t>(in[pos++]);
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

}  // namespace

CountLayout::CountLayout(const election::Election& e) {
  fields_ = e.fields;
  for (const char* required : {"valid", "null"}) {
    if (std::find(fields_.begin(), fields_.end(), required) == fields_.end()) fields_.push_back(required);
  }
  valid_field_ = *field_index("valid");
  null_field_ = *field_index("null");
  for (size_t i = 0; i < e.candidates.size(); ++i) {
    candidates_.push_back(e.candidates[i].code);
    candidate_slots_.emplace_back(e.candidates[i].code, static_cast<uint32_t>(i));
  }
  std::sort(candidate_slots_.begin(), candidate_slots_.end());
  for (const election::Card& card : e.cards) {
    uint32_t c = UINT32_MAX;
    for (size_t i = 0; i < e.candidates.size(); ++i) {
      if (e.candidates[i].code == card.candidate) c = static_cast<uint32_t>(i);
    }
    card_candidate_.push_back(c);
  }
}

std::optional<size_t> CountLayout::field_index(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i] == name) return i;
  }
  return std::nullopt;
}

Result<CountVector> CountVector::of(const CountLayout& g, const election::Sheet& s, std::string_view where) {
  CountVector out;
  out.values.assign(g.width(), 0);
  out.present.assign((g.width() + 7) / 8, 0);
  auto mark = [&](size_t slot) { out.present[slot / 8] |= static_cast<uint8_t>(1u << (slot % 8)); };
  // Names are built only on failure: this runs for every count of every sheet.
  auto out_of_range = [&](int64_t v, const std::string& name) {
    return err(ErrorCode::kInvalidArgument,
               std::string(where) + ": count " + name + " = " + std::to_string(v) + " is out of the 32-bit range");
  };
  auto fits = [](int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; };
  for (const auto& [name, value] : s.fields) {
    auto f = g.field_index(name);
    if (!f) {
      return err(ErrorCode::kInvalidArgument, std::string(where) + ": field \"" + name + "\" is not defined by the election");
    }
    if (!fits(value)) return out_of_range(value, name);
    out.values[*f] = static_cast<int32_t>(value);
    mark(*f);
  }
  const size_t cand = g.field_count();
  // Both sequences are sorted by code: one merge pass, no lookups.
  auto slot = g.candidate_slots_.begin();
  for (const auto& [code, value] : s.candidates) {
    while (slot != g.candidate_slots_.end() && slot->first < code) ++slot;
    if (slot == g.candidate_slots_.end() || slot->first != code) {
      return err(ErrorCode::kInvalidArgument, std::string(where) + ": candidate \"" + code + "\" is not in the election");
    }
    if (!fits(value)) return out_of_range(value, code);
    out.values[cand + slot->second] = static_cast<int32_t>(value);
    mark(cand + slot->second);
  }
  if (!s.cards.empty()) {
    if (s.cards.size() != g.card_count()) {
      return err(ErrorCode::kInvalidArgument, std::string(where) + ": " + std::to_string(s.cards.size()) +
                                                  " cards, the election has " + std::to_string(g.card_count()));
    }
    for (size_t i = 0; i < s.cards.size(); ++i) {
      if (!fits(s.cards[i])) return out_of_range(s.cards[i], "cards[" + std::to_string(i) + "]");
      out.values[g.compared() + i] = static_cast<int32_t>(s.cards[i]);
      mark(g.compared() + i);
    }
    if (s.candidates.empty()) {  // per-candidate votes derived from the cards
      std::vector<int64_t> sums(g.candidate_count(), 0);
      for (size_t i = 0; i < s.cards.size(); ++i) {
        if (g.card_candidate_[i] != UINT32_MAX) sums[g.card_candidate_[i]] += s.cards[i];
      }
      for (size_t c = 0; c < sums.size(); ++c) {
        if (!fits(sums[c])) return out_of_range(sums[c], g.candidates_[c]);
        out.values[cand + c] = static_cast<int32_t>(sums[c]);
        mark(cand + c);
      }
    }
  }
  return out;
}

std::string CountVector::encode() const {
  std::string out;
  out.reserve(4 + present.size() + values.size() * 2);
  out.push_back(static_cast<char>(kCountsVersion));
  put_uvarint(out, contest);
  put_uvarint(out, values.size());
  out.append(reinterpret_cast<const char*>(present.data()), present.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!has(i)) continue;
    const int64_t v = values[i];
    put_uvarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  return out;
}

Status CountVector::decode(std::string_view blob, size_t width, CountVector& out) {
  auto bad = [&](const char* why) { return err(ErrorCode::kCorrupt, std::string("stored counts: ") + why); };
  if (blob.empty() || static_cast<uint8_t>(blob[0]) != kCountsVersion) return bad("unknown version");
  size_t pos = 1;
  uint64_t contest = 0, w = 0;
  if (!get_uvarint(blob, pos, contest) || contest > UINT32_MAX) return bad("bad contest");
  if (!get_uvarint(blob, pos, w)) return bad("bad width");
  if (w != width) return bad("width differs from the election's");
  const size_t mask_bytes = (width + 7) / 8;
  if (blob.size() - pos < mask_bytes) return bad("truncated mask");
  out.contest = static_cast<uint32_t>(contest);
  out.present.assign(blob.begin() + static_cast<std::ptrdiff_t>(pos),
                     blob.begin() + static_cast<std::ptrdiff_t>(pos + mask_bytes));
  pos += mask_bytes;
  out.values.assign(width, 0);
  for (size_t i = 0; i < width; ++i) {
    if (!out.has(i)) continue;
    uint64_t z = 0;
    if (!get_uvarint(blob, pos, z)) return bad("truncated value");
    const int64_t v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    if (v < INT32_MIN || v > INT32_MAX) return bad("value out of range");
    out.values[i] = static_cast<int32_t>(v);
  }
  if (pos != blob.size()) return bad("trailing bytes");
  if (width % 8 != 0 && (out.present.back() >> (width % 8)) != 0) return bad("mask bits beyond the width");
  return ok();
}

}  // namespace tallylog::tally
