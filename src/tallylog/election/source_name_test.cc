#include "tallylog/election/source_name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tallylog::election {
namespace {

TEST(SourceName, AcceptsTheNamesElectionsUse) {
  for (std::string s : {"official", "qr", "witness:mud", "observer:carter.center", "witness:unit-7_b", "w:1"})
    EXPECT_TRUE(check_source_name(s)) << s;
}

// Regression (issue 10.8): submitted source suffixes accepted anything.
TEST(SourceName, RefusesMarkupTraversalSpacesControlAndBidiCharacters) {
  for (const std::string& s : std::vector<std::string>{"witness:<script>", "witness:../x", "witness:a b", "witness:\xE2\x80\xAEmud",
                        "witness:mud\n", "witness:MUD", "Witness:mud", "witness:", "witness:.x", "witness:x.",
                        "witness:a..b", "witness:a:b", ":mud", "1witness:x", "", std::string(65, 'a'),
                        std::string("witness:\0x", 10)}) {
    auto st = check_source_name(s);
    EXPECT_FALSE(st) << s;
    if (!st) {
      EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace tallylog::election
