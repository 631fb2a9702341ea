// Serves the built web UI from one folder: correct content types, ETag/Last-Modified with 304s,
// long caching for hashed assets, no path escapes, and index.html for UI routes (single-page app).
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>

#include "http/message.hpp"

namespace deskgate::http {

// An HTTP date (RFC 9110 IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t t);

// The UI's pages: scripts, styles and connections (fetch and WebSocket) only from deskgate itself, images
// also from data:/blob: (noVNC's cursor), never framed, no plugins.
inline constexpr std::string_view ui_content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

class static_files {
 public:
  // `root` may be empty or missing: then nothing is served (the API still works).
  explicit static_files(std::filesystem::path root);

  // The answer for a GET/HEAD outside /api, or nullopt when it is not a file of ours.
  std::optional<response> serve(const request& req) const;

  static std::string_view content_type_for(const std::filesystem::path& file);

 private:
  // `immutable`: a content-hashed asset (Vite's /assets/), cached for a year; everything else revalidates.
  std::optional<response> file_response(const request& req, const std::filesystem::path& file, bool immutable) const;

  std::filesystem::path root_;  // canonical, or empty
};

}  // namespace deskgate::http
