// Where the built web page is, for `serve` and `publish`: --web, else $TALLYLOG_WEB_DIR, else
// web/dist in the current directory or the binary's, or up to eight directories above either.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace tallylog::cli {

// The folder holding the built page (dist/index.html), or "" when there is none.
inline std::string find_web_dir(const std::string& flag) {
  namespace fs = std::filesystem;
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TALLYLOG_WEB_DIR"); env && *env) return env;
  std::error_code ec;
  std::vector<fs::path> starts = {fs::current_path(ec)};
  if (auto exe = fs::read_symlink("/proc/self/exe", ec); !ec) starts.push_back(exe.parent_path());
  for (auto p : starts) {
    for (int i = 0; i < 8 && !p.empty(); ++i, p = p.parent_path()) {
      if (fs::exists(p / "web" / "dist" / "index.html", ec)) return (p / "web" / "dist").string();
      if (p == p.parent_path()) break;
    }
  }
  return "";
}

}  // namespace tallylog::cli
