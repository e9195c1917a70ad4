#include "tallylog/ingest/invites.h"

#include <nlohmann/json.hpp>

#include "tallylog/base/json.h"

namespace tallylog::ingest {

using nlohmann::json;

std::string invites_path(const std::string& data_dir) { return join_path(data_dir, "devices/invites.jsonl"); }

std::string invite_to_json(const Invite& i) {
  json j = {{"code_sha256", i.code_sha256}, {"invite_signature", i.invite_signature}, {"org", i.org},
            {"sources", i.sources}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Invite> invite_from_json(std::string_view line) {
  auto bad = [](std::string m) { return err(ErrorCode::kInvalidArgument, "invite: " + std::move(m)); };
  auto parsed = parse_json_object(line);
  if (!parsed) return bad(parsed.error().message);
  json j = std::move(*parsed);
  Invite i;
  for (auto [key, out] : {std::pair{"code_sha256", &i.code_sha256}, {"invite_signature", &i.invite_signature},
                          {"org", &i.org}}) {
    if (!j.contains(key) || !j[key].is_string()) return bad(std::string(key) + ": missing or not a string");
    *out = j[key].get<std::string>();
  }
  if (!j.contains("sources") || !j["sources"].is_array()) return bad("sources: missing or not an array");
  for (const auto& s : j["sources"]) {
    if (!s.is_string()) return bad("sources: not strings");
    i.sources.push_back(s.get<std::string>());
  }
  return i;
}

std::string invites_to_jsonl(std::span<const Invite> invites) {
  std::string text;
  for (const Invite& i : invites) text += invite_to_json(i) + "\n";
  return text;
}

Result<std::vector<Invite>> invites_from_jsonl(std::string_view text, std::string_view name) {
  std::vector<Invite> out;
  size_t start = 0, line_no = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, (nl == std::string_view::npos ? text.size() : nl) - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    auto i = invite_from_json(line);
    if (!i) return err(ErrorCode::kCorrupt, std::string(name) + ":" + std::to_string(line_no) + ": " + i.error().message);
    out.push_back(std::move(*i));
  }
  return out;
}

Status append_invites(Env& env, const std::string& data_dir, std::span<const Invite> invites) {
  TL_TRY(env.create_dirs(join_path(data_dir, "devices")));
  const std::string text = invites_to_jsonl(invites);
  TL_ASSIGN_OR_RETURN(auto f, env.open_append(invites_path(data_dir)));
  TL_TRY(f->append(text));
  TL_TRY(f->sync());
  return f->close();
}

Result<std::optional<Invite>> find_invite(Env& env, const std::string& data_dir, std::string_view code_sha256) {
  const std::string path = invites_path(data_dir);
  if (!env.exists(path)) return std::optional<Invite>();
  TL_ASSIGN_OR_RETURN(std::string text, env.read_file(path));
  TL_ASSIGN_OR_RETURN(std::vector<Invite> invites, invites_from_jsonl(text, path));
  for (Invite& i : invites)
    if (i.code_sha256 == code_sha256) return std::optional<Invite>(std::move(i));
  return std::optional<Invite>();
}

}  // namespace tallylog::ingest
