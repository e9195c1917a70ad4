#include "tallylog/http/route_table.h"

#include <gtest/gtest.h>

namespace tallylog::http {
namespace {

RouteTable table() {
  RouteTable t;
  auto h = [](const RouteCall&) { return Response::text(200, ""); };
  t.add({"GET", "/log/checkpoint", "/log/checkpoint", 0, h});
  t.add({"GET", "/log/*", "/log/tile", 0, h});
  t.add({"GET", "/api/v1/stations/:code/sheets", "", 0, h});
  t.add({"POST", "/api/v1/sheets", "", 65536, h});
  t.add({"*", "/api/*", "/api/v1/other", 0, h});
  t.add({"GET", "/*", "/web", 0, h});
  return t;
}

TEST(RouteTable, TheFirstMatchingPatternDecidesAndGetAlsoAnswersHead) {
  auto t = table();
  EXPECT_EQ(t.match("GET", "/log/checkpoint").route->label, "/log/checkpoint");
  EXPECT_EQ(t.match("HEAD", "/log/checkpoint").route->label, "/log/checkpoint");
  auto tile = t.match("GET", "/log/tile/0/x001/234");
  EXPECT_EQ(tile.route->label, "/log/tile");
  EXPECT_EQ(tile.rest, "tile/0/x001/234");
  EXPECT_EQ(t.match("GET", "/").route->label, "/web");
  EXPECT_EQ(t.match("GET", "/log").route->label, "/web");  // "/log/*" needs the slash
}

TEST(RouteTable, CapturesSegmentsRawAndTheRestUncollapsed) {
  auto t = table();
  auto m = t.match("GET", "/api/v1/stations/01%2E02/sheets");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->label, "/api/v1/stations/:code/sheets");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], "01%2E02");
  // An empty segment never matches ":code"; "//" stays in the rest for the file grammar to refuse.
  EXPECT_EQ(t.match("GET", "/api/v1/stations//sheets").route->label, "/api/v1/other");
  EXPECT_EQ(t.match("GET", "/log//etc/passwd").rest, "/etc/passwd");
}

TEST(RouteTable, AnswersAWrongMethodWithTheAllowListOfThatPattern) {
  auto t = table();
  auto get_sheets = t.match("GET", "/api/v1/sheets");
  EXPECT_EQ(get_sheets.route, nullptr);
  EXPECT_EQ(get_sheets.allow, "POST");
  auto post_cp = t.match("POST", "/log/checkpoint");
  EXPECT_EQ(post_cp.route, nullptr);
  EXPECT_EQ(post_cp.allow, "GET, HEAD");
  EXPECT_EQ(post_cp.pattern_row->label, "/log/checkpoint");
  EXPECT_EQ(t.match("POST", "/api/v1/sheets").route->body_limit, 65536u);
  EXPECT_EQ(t.match("DELETE", "/api/v2/x").route->label, "/api/v1/other");
}

TEST(RouteTable, AbortsOnAMalformedPattern) {
  RouteTable t;
  auto h = [](const RouteCall&) { return Response::text(200, ""); };
  EXPECT_DEATH(t.add({"GET", "no-slash", "", 0, h}), "must start with");
  EXPECT_DEATH(t.add({"GET", "/a/*/b", "", 0, h}), "malformed");
}

}  // namespace
}  // namespace tallylog::http
