// Uploaded images (branding logo and favicon, desktop type icons): checked by declared type, size and the
// file's own signature before they are stored, and served back with their type and a CSP that keeps an SVG
// from running scripts when opened directly.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace deskgate::api {

// Uploaded images are small: a logo, a favicon, an icon.
inline constexpr std::size_t max_image_bytes = 256 * 1024;

// The request body as an image: Content-Type image/png, image/jpeg, image/webp or image/svg+xml, at most
// max_image_bytes, and content that matches the type. Returns the content type. Throws deskgate::error:
// unsupported_media_type, payload_too_large, bad_request (empty, or not what the type says).
std::string checked_image_upload(const http::request& req);

// Writes `bytes` to `file` through a temporary file and a rename, so a reader never sees half an image.
void store_image(const std::filesystem::path& file, std::string_view bytes);

// A stored image as a response with `content_type`; not_found when the file is gone.
http::response image_response(const std::filesystem::path& file, std::string_view content_type);

}  // namespace deskgate::api
