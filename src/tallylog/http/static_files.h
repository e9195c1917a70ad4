// Serving the published log tree (<data>/log/) and the sheet images (<data>/blobs/) as static
// files, safely: request paths are checked against a strict grammar BEFORE they touch the file
// system, so no percent-encoding, "..", empty segment, backslash, NUL or absolute path can reach
// a file outside the folder. Content types and caching follow tlog-tiles: full tiles never change
// (immutable for a year), partial tiles and the checkpoint do.
//
// Pure functions plus file reads through the injected Env; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/http/server.h"

namespace tallylog::http {

inline constexpr const char* kImmutable = "public, max-age=31536000, immutable";

// Checks `rel` (the URL path after "/log/") and returns it when it names a log file:
// "checkpoint" or a tile path "tile/<L|entries>/[x<3d>/...]<3d>[.p/<W>]". Otherwise kInvalidArgument.
Result<std::string> checked_log_path(std::string_view rel);
// Checks `rel` (after "/blobs/") is "sha256/<64 lowercase hex>" and returns the hex digest.
Result<std::string> checked_blob_digest(std::string_view rel);

// Where the blob store keeps the image with this digest, relative to <data>/blobs/.
std::string blob_relative_path(std::string_view hex_digest);

// GET/HEAD /log/<rel> from `log_dir`: 400 for a bad path, 404 when absent, else the bytes with
// the right Content-Type and Cache-Control.
Response serve_log_file(Env& env, const std::string& log_dir, std::string_view rel);
// GET/HEAD /blobs/<rel> from `blob_dir`; Content-Type sniffed from the bytes (JPEG/PNG/WebP/PDF).
Response serve_blob(Env& env, const std::string& blob_dir, std::string_view rel);

// Refuses (kInvalidArgument) a web root that is, contains or lies inside the data directory:
// it would publish log.key, tokens.json and the journal. Paths are compared after resolving
// symlinks; a web root that does not exist is refused too (kNotFound).
Status check_web_root(const std::string& web_dir, const std::string& data_dir);

// The file `rel` under `root` (rel already checked against the web path grammar), or nullopt
// when it is absent or when, symlinks resolved, it lies outside root: a symlink in the web root
// is never followed out of it.
std::optional<std::string> read_file_inside(Env& env, const std::string& root, std::string_view rel);

// Content type for a sniffed image, "application/octet-stream" if unknown.
std::string_view sniff_content_type(std::string_view bytes);

}  // namespace tallylog::http
