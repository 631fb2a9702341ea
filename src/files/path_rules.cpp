#include "files/path_rules.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace deskgate::files {
namespace {

[[noreturn]] void refuse(std::string message) { throw error(errc::bad_request, std::move(message)); }

}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte first, C0/C1 (overlong two-byte), or beyond U+10FFFF
    }
    if (i + extra >= text.size()) return false;  // cut short
    for (std::size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    bool overlong = (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000);
    bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (overlong || surrogate || cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

void check_name(std::string_view name) {
  if (name.empty()) refuse("A file or folder name must not be empty.");
  if (name == "." || name == "..") refuse("\"" + std::string(name) + "\" is not allowed as a name.");
  if (name.size() > max_name_bytes) {
    refuse(fmt::format("The name is too long: {} bytes, at most {} are allowed.", name.size(), max_name_bytes));
  }
  if (!valid_utf8(name)) refuse("The name is not valid UTF-8 text.");
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    bool c1 = c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F || c1) refuse("Names must not contain control characters.");
    if (c == '/') refuse("Names must not contain '/'.");
  }
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> names;
  if (path.empty()) return names;
  if (path.size() > max_path_bytes) {
    refuse(fmt::format("The path is too long: {} bytes, at most {} are allowed.", path.size(), max_path_bytes));
  }
  if (path.front() == '/') refuse("Paths are relative to the space and must not start with '/'.");
  if (path.find('\0') != std::string_view::npos) refuse("Paths must not contain NUL characters.");
  if (path.back() == '/') path.remove_suffix(1);
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    std::string_view name = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (name.empty()) refuse("Paths must not contain empty parts (\"//\").");
    check_name(name);
    names.emplace_back(name);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return names;
}

std::string join_path(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += '/';
    out += n;
  }
  return out;
}

}  // namespace deskgate::files
