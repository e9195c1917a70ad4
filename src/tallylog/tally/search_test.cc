#include "tallylog/tally/search.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tallylog/tally/test_election.h"

namespace tallylog::tally {
namespace {

// state > parish > centre > table, with the bundled data's spelling ("PQ. CARLOS SOUBLETTE").
election::Election places_election() {
  auto e = testing::small_election();
  e.levels = {{"state", "Estado"}, {"parish", "Parroquia"}, {"centre", "Centro"}, {"table", "Mesa"}};
  return e;
}

election::Station st(std::string state, std::string state_name, std::string parish, std::string parish_name,
                     std::string centre, std::string centre_name, std::string table) {
  election::Station s;
  s.code = table;
  s.areas = {{state, state_name}, {parish, parish_name}, {centre, centre_name}, {table, table}};
  s.registered = 100;
  return s;
}

std::shared_ptr<const Geography> places() {
  static const auto e = places_election();
  std::vector<election::Station> s = {
      st("22", "EDO. LA GUAIRA", "220101", "PQ. CARLOS SOUBLETTE", "220101001", "ESCUELA JOSÉ MARÍA VARGAS", "220101001.01"),
      st("22", "EDO. LA GUAIRA", "220101", "PQ. CARLOS SOUBLETTE", "220101002", "220101002", "220101002.01"),
      st("22", "EDO. LA GUAIRA", "220102", "PQ. MAIQUETÍA", "220102001", "U.E. PEÑA", "220102001.01"),
      st("10", "EDO. FALCÓN", "100101", "PQ. SOUBLETTE", "100101001", "100101001", "100101001.01"),
      st("01", "DTTO. CAPITAL", "010101", "PQ. ALTAGRACIA", "010101001", "LICEO ANDRÉS BELLO", "010101001.01"),
  };
  auto g = Geography::build(e, s);
  EXPECT_TRUE(g.has_value()) << (g ? "" : g.error().message);
  return *g;
}

std::vector<std::string> codes(const Geography& g, const std::vector<SearchHit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(g.area(h.id).code);
  return out;
}

TEST(FoldForSearch, LowercasesAndStripsSpanishAccents) {
  EXPECT_EQ(*fold_for_search("PQ. CARLOS SOUBLETTE"), "pq. carlos soublette");
  EXPECT_EQ(*fold_for_search("ÁÉÍÓÚÜÑ áéíóúüñ Ç"), "aeiouun aeiouun c");
  EXPECT_EQ(*fold_for_search("Falco\xCC\x81n"), "falcon");  // decomposed: o + U+0301
  EXPECT_EQ(*fold_for_search("straße"), "strasse");
  EXPECT_EQ(*fold_for_search("×÷"), "×÷");                 // not letters: kept
  EXPECT_EQ(*fold_for_search("Ωmega €"), "Ωmega €");       // other scripts kept as they are
}

TEST(FoldForSearch, RefusesIllFormedUtf8) {
  for (std::string bad : {std::string("\xC3"), std::string("a\xC3("), std::string("\xC0\xAF"),  // truncated, bad continuation, overlong '/'
                          std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80"),          // surrogate, above U+10FFFF
                          std::string("\x80"), std::string("\xFF")}) {
    EXPECT_FALSE(fold_for_search(bad).has_value()) << ::testing::PrintToString(bad);
  }
  EXPECT_EQ(*fold_for_search(std::string("a\0b", 3)), std::string("a\0b", 3));  // NUL is ASCII: kept, never matches a name
}

TEST(SearchText, IsTheFoldedNameAndTheLowercasedCode) {
  Area a;
  a.name = "PQ. MAIQUETÍA";
  a.code = "ab12";
  EXPECT_EQ(search_text(a), "pq. maiquetia ab12");
  a.code = "AB12";
  EXPECT_EQ(search_text(a), "pq. maiquetia ab12");
  a.name = "bad \xC3";
  EXPECT_EQ(search_text(a), " ab12");  // an ill-formed name: matched by its code only
}

TEST(SearchAreas, FindsTheParishAndItsCentresAccentAndCaseInsensitive) {
  auto g = places();
  for (const char* q : {"soublette", "SOUBLETTE", "Soublétte"}) {
    auto hits = search_areas(*g, q, 20);
    ASSERT_TRUE(hits.has_value());
    // Both parishes named Soublette first (outer level first), then the centres in them.
    EXPECT_EQ(codes(*g, *hits), (std::vector<std::string>{"100101", "220101", "100101001", "220101001", "220101002"})) << q;
    EXPECT_EQ((*hits)[0].via_place, 0);
    EXPECT_EQ((*hits)[2].via_place, 1);
  }
  auto carlos = search_areas(*g, "Carlos Soublette", 20);
  ASSERT_TRUE(carlos.has_value());
  EXPECT_EQ(codes(*g, *carlos), (std::vector<std::string>{"220101", "220101001", "220101002"}));
}

TEST(SearchAreas, ByCentreNameCodeAndPlaceWords) {
  auto g = places();
  EXPECT_EQ(codes(*g, *search_areas(*g, "jose maria", 20)), std::vector<std::string>{"220101001"});
  EXPECT_EQ(codes(*g, *search_areas(*g, "pena", 20)), std::vector<std::string>{"220102001"});
  EXPECT_EQ(codes(*g, *search_areas(*g, "220102001", 20)), std::vector<std::string>{"220102001"});
  // A word of the centre and one of its state: found through the place.
  EXPECT_EQ(codes(*g, *search_areas(*g, "vargas guaira", 20)), std::vector<std::string>{"220101001"});
  EXPECT_TRUE(search_areas(*g, "caracas", 20)->empty());
  // A table's code finds its centre; the table itself only when tables are asked for.
  EXPECT_EQ(codes(*g, *search_areas(*g, "220102001.01", 20)), std::vector<std::string>{"220102001"});
  EXPECT_EQ(codes(*g, *search_areas(*g, "220102001.01", 20, true)),
            (std::vector<std::string>{"220102001", "220102001.01"}));
}

TEST(SearchAreas, BoundedOwnNameMatchesFirst) {
  auto g = places();
  auto hits = search_areas(*g, "pq", 2);
  ASSERT_TRUE(hits.has_value());
  EXPECT_EQ(hits->size(), 2u);
  for (const auto& h : *hits) EXPECT_EQ(h.via_place, 0);
  EXPECT_TRUE(search_areas(*g, "pq", 0)->empty());
}

TEST(SearchAreas, RefusesHostileQueries) {
  auto g = places();
  EXPECT_FALSE(search_areas(*g, "", 20).has_value());
  EXPECT_FALSE(search_areas(*g, " .,;- ", 20).has_value());
  EXPECT_FALSE(search_areas(*g, std::string(kMaxSearchQueryBytes + 1, 'a'), 20).has_value());
  EXPECT_FALSE(search_areas(*g, "a b c d e f g h i", 20).has_value());
  EXPECT_FALSE(search_areas(*g, "soubl\xC3", 20).has_value());
  EXPECT_FALSE(search_areas(*g, "%", 20).has_value());
  // Regex or SQL syntax is just text: no match, no error.
  auto h = search_areas(*g, "' OR 1=1 --", 20);
  ASSERT_TRUE(h.has_value());
  EXPECT_TRUE(h->empty());
}

}  // namespace
}  // namespace tallylog::tally
