#include "tallylog/http/request_parsing.h"

namespace tallylog::http {

std::string percent_decode(std::string_view s, bool plus_is_space) {
  auto hex = [](char h) -> int {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Query parse_query(std::string_view q) {
  Query out;
  size_t start = 0;
  while (start <= q.size()) {
    size_t amp = q.find('&', start);
    std::string_view part = q.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string k = percent_decode(part.substr(0, eq), true);
      std::string v = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1), true);
      out.emplace(std::move(k), std::move(v));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<std::map<std::string, std::string>> parse_multipart(std::string_view content_type, std::string_view body) {
  auto b = content_type.find("boundary=");
  if (b == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "multipart body without a boundary");
  std::string boundary(content_type.substr(b + 9));
  if (auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  if (boundary.empty() || boundary.size() > 200) return err(ErrorCode::kInvalidArgument, "bad multipart boundary");
  std::string delim = "--" + boundary;
  std::map<std::string, std::string> parts;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "multipart boundary not found in body");
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return err(ErrorCode::kInvalidArgument, "malformed multipart delimiter");
    pos += 2;
    size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos)
      return err(ErrorCode::kInvalidArgument, "multipart part without headers end");
    std::string_view headers = body.substr(pos, header_end - pos);
    size_t data_start = header_end + 4;
    size_t next = body.find("\r\n" + delim, data_start);
    if (next == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "multipart part is not terminated");
    std::string name;
    auto n = headers.find("name=\"");
    if (n != std::string_view::npos) {
      auto e = headers.find('"', n + 6);
      if (e != std::string_view::npos) name = std::string(headers.substr(n + 6, e - n - 6));
    }
    if (!name.empty() && !parts.count(name)) parts.emplace(name, std::string(body.substr(data_start, next - data_start)));
    pos = next + 2;
    if (parts.size() > 16) return err(ErrorCode::kInvalidArgument, "too many multipart parts");
  }
  return parts;
}

}  // namespace tallylog::http
