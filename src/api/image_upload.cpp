#include "api/image_upload.hpp"

#include <fstream>
#include <sstream>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/text.hpp"

namespace deskgate::api {
namespace fs = std::filesystem;
namespace {

bool starts_with_bytes(std::string_view body, std::string_view magic) { return body.starts_with(magic); }

// An SVG document: optional BOM, whitespace, XML declaration or comments, then an <svg element.
bool looks_like_svg(std::string_view body) {
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  auto head = to_lower(body.substr(0, 4096));
  return head.find("<svg") != std::string::npos;
}

bool matches_type(std::string_view type, std::string_view body) {
  if (type == "image/png") return starts_with_bytes(body, "\x89PNG\r\n\x1A\n");
  if (type == "image/jpeg") return starts_with_bytes(body, "\xFF\xD8\xFF");
  if (type == "image/webp") return body.size() >= 12 && body.starts_with("RIFF") && body.substr(8, 4) == "WEBP";
  return looks_like_svg(body);
}

}  // namespace

std::string checked_image_upload(const http::request& req) {
  std::string_view declared = req.headers.get("Content-Type");
  std::string type = to_lower(declared.substr(0, declared.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type != "image/png" && type != "image/jpeg" && type != "image/webp" && type != "image/svg+xml") {
    throw error(errc::unsupported_media_type,
                "Upload a PNG, JPEG, WebP or SVG image (Content-Type image/png, "
                "image/jpeg, image/webp or image/svg+xml).");
  }
  if (req.body.empty()) throw error(errc::bad_request, "The image is empty.");
  if (req.body.size() > max_image_bytes) {
    throw error(errc::payload_too_large, "The image is larger than 256 KiB; make it smaller and try again.");
  }
  if (!matches_type(type, req.body)) {
    throw error(errc::bad_request, "The file is not a " + type + " image.");
  }
  return type;
}

void store_image(const fs::path& file, std::string_view bytes) {
  fs::create_directories(file.parent_path());
  fs::path temp = file;
  temp += ".upload-" + crypto::random_token(8);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      std::error_code ec;
      fs::remove(temp, ec);
      throw error(errc::internal, "The image could not be saved on the server.");
    }
  }
  fs::rename(temp, file);
}

http::response image_response(const fs::path& file, std::string_view content_type) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw error(errc::not_found, "There is no such image.");
  std::ostringstream buf;
  buf << in.rdbuf();
  http::response res;
  res.body = std::move(buf).str();
  res.headers.set("Content-Type", std::string(content_type));
  // URLs carry a version, so a changed image gets a new URL; still revalidate in case of a reset.
  res.headers.set("Cache-Control", "no-cache");
  // Opened directly, an SVG is a document: no scripts, no loads, sandboxed.
  res.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  return res;
}

}  // namespace deskgate::api
