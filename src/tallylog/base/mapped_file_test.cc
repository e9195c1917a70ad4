#include "tallylog/base/mapped_file.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "tallylog/base/testing.h"

namespace tallylog {
namespace {

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(MappedFile, ReadsTheWholeFileAndStillDoesAfterReleasingPagesBehindTheReader) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; text.size() < 3 * 4096 + 100; ++i) text += "line " + std::to_string(i) + "\n";
  write(dir.file("a.csv"), text);
  auto f = MappedFile::open(dir.file("a.csv"));
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ((*f)->data(), text);
  (*f)->release_before(2 * 4096 + 7);
  (*f)->release_before(10);  // behind what is released already: nothing to do
  (*f)->release_before(text.size() + 4096);  // past the end: bounded by the file
  // A released private read-only page is read again from the file when touched.
  EXPECT_EQ((*f)->data(), text);
}

TEST(MappedFile, AnEmptyFileIsAnEmptyView) {
  testing::TempDir dir;
  write(dir.file("empty"), "");
  auto f = MappedFile::open(dir.file("empty"));
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_TRUE((*f)->data().empty());
  (*f)->release_before(100);
}

// Regression: a pipe has no size to map, so `import <(zcat sheets.csv.gz)` would read nothing.
TEST(MappedFile, APipeIsReadWhole) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string text = "a,b\n1,2\n";
  ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  auto f = MappedFile::open("/dev/fd/" + std::to_string(fds[0]));
  ::close(fds[0]);
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_EQ((*f)->data(), text);
  (*f)->release_before(4);
  EXPECT_EQ((*f)->data(), text);
}

TEST(MappedFile, AMissingFileIsAnErrorNamingIt) {
  testing::TempDir dir;
  auto f = MappedFile::open(dir.file("missing.csv"));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kIo);
  EXPECT_NE(f.error().message.find("missing.csv"), std::string::npos);
}

}  // namespace
}  // namespace tallylog
