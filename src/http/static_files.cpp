#include "http/static_files.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/mime_types.hpp"

namespace deskgate::http {
namespace fs = std::filesystem;
namespace {

// UI files are small; anything bigger is not ours to serve from memory.
constexpr std::uintmax_t max_static_file_bytes = 64 * 1024 * 1024;

// A request path is safe when every segment is a plain name: no "..", ".", hidden files or backslashes.
bool safe_relative(std::string_view path, fs::path& out) {
  out.clear();
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    start = slash + 1;
    if (seg.empty()) continue;
    if (seg.front() == '.' || seg.find('\\') != std::string_view::npos || seg.find('\0') != std::string_view::npos) {
      return false;
    }
    out /= std::string(seg);
  }
  return true;
}

bool is_under(const fs::path& path, const fs::path& root) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

bool looks_like_file(std::string_view path) {
  auto last = path.substr(path.rfind('/') + 1);
  return last.find('.') != std::string_view::npos;
}

}  // namespace

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

static_files::static_files(fs::path root) {
  std::error_code ec;
  if (!root.empty() && fs::is_directory(root, ec)) {
    root_ = fs::canonical(root, ec);
  }
}

std::string_view static_files::content_type_for(const fs::path& file) {
  return mime_type_for(file.filename().string());
}

std::optional<response> static_files::serve(const request& req) const {
  if (root_.empty() || (req.verb != method::get && req.verb != method::head)) return std::nullopt;
  fs::path relative;
  if (!safe_relative(req.path, relative)) return std::nullopt;

  std::error_code ec;
  fs::path candidate = relative.empty() ? root_ / "index.html" : root_ / relative;
  if (fs::is_regular_file(fs::symlink_status(candidate, ec))) {
    return file_response(req, candidate, req.path.starts_with("/assets/"));
  }
  // Client-side routes (/desktops/abc, /admin) get the app shell; missing assets stay 404.
  if (!looks_like_file(req.path)) {
    return file_response(req, root_ / "index.html", false);
  }
  return std::nullopt;
}

std::optional<response> static_files::file_response(const request& req, const fs::path& file, bool immutable) const {
  // No symlink anywhere on the way may lead out of the web root.
  std::error_code ec;
  auto real = fs::canonical(file, ec);
  if (ec || !is_under(real, root_)) return std::nullopt;

  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uintmax_t>(st.st_size) > max_static_file_bytes) {
    return std::nullopt;
  }
  auto mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
  std::string etag = fmt::format("\"{:x}-{:x}\"", static_cast<long long>(st.st_size), mtime_ns);

  response res;
  res.headers.set("Content-Type", std::string(content_type_for(file)));
  res.headers.set("ETag", etag);
  res.headers.set("Last-Modified", http_date(st.st_mtim.tv_sec));
  res.headers.set("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (file.extension() == ".html") res.headers.set("Content-Security-Policy", std::string(ui_content_security_policy));

  std::string_view if_none_match = req.headers.get("If-None-Match");
  if (!if_none_match.empty() && (if_none_match == etag || if_none_match == "*")) {
    res.status = 304;
    return res;
  }
  std::string_view if_modified_since = req.headers.get("If-Modified-Since");
  if (if_none_match.empty() && if_modified_since == http_date(st.st_mtim.tv_sec)) {
    res.status = 304;
    return res;
  }

  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  res.body = std::move(buf).str();
  return res;
}

}  // namespace deskgate::http
