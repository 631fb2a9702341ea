// /api/files/{space}: the file manager's API over the spaces of files::file_service (home, shared,
// assignment-{id}). Access per space is decided by the service; these handlers turn requests into its
// calls: query parameters, Range and conditional downloads, Content-Disposition with UTF-8 names,
// streamed uploads (a body_sink) and streamed zips (a body_source), and the audit log.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "api/audit.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "core/error.hpp"
#include "core/mime_types.hpp"
#include "files/file_service.hpp"
#include "files/path_rules.hpp"
#include "files/upload.hpp"
#include "files/zip_stream.hpp"
#include "http/errors.hpp"
#include "http/static_files.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

// Types a browser may show inline (previews): never HTML, SVG or scripts, which would run on our origin.
constexpr std::string_view inline_types[] = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf", "text/plain; charset=utf-8"};

// A downloaded page or SVG opened in the browser must not run scripts as deskgate: a sandbox without
// scripts, framed only by deskgate's own pages (the previews; Chromium's PDF viewer works inside it).
constexpr std::string_view file_policy =
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'";

files::space space_of(services& s, const http::context& ctx) {
  return s.files.resolve(ctx.user->user_id, ctx.user->user_role, ctx.params.get("space"));
}

// ?path=, decoded. A path with a broken escape or an encoded NUL is refused, not taken as absent.
std::string path_param(const http::request& req, std::string_view name, bool required) {
  if (auto value = req.query_param(name)) return *value;
  std::string_view rest = req.query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.substr(0, pair.find('=')) == name) {
      throw error(errc::bad_request, "The " + std::string(name) + " has a broken %-escape or a NUL character.");
    }
  }
  if (required) throw error(errc::bad_request, "Say which file or folder (?" + std::string(name) + "=...).");
  return "";
}

nlohmann::json entry_json(const files::entry_info& e) {
  nlohmann::json j = {{"name", e.name}, {"type", e.type}, {"size", e.size}, {"modified", e.modified}};
  if (!e.mime.empty()) j["mime"] = e.mime;
  return j;
}

// RFC 6266: an ASCII fallback (other characters as '_') and the exact UTF-8 name in filename*.
std::string content_disposition(std::string_view name, bool show_inline) {
  std::string ascii;
  std::string encoded;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      if ((c & 0xC0) != 0x80) ascii += '_';  // one '_' per character, not per byte
    } else if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      ascii += '_';
    } else {
      ascii += ch;
    }
    bool attr_char = std::isalnum(c) != 0 && c < 0x80;
    if (attr_char || std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos) {
      encoded += ch;
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  return fmt::format("{}; filename=\"{}\"; filename*=UTF-8''{}", show_inline ? "inline" : "attachment", ascii, encoded);
}

// A byte range of an open file, read with pread as it is sent.
class file_range_source final : public http::body_source {
 public:
  file_range_source(unique_fd fd, std::uint64_t offset, std::uint64_t length)
      : fd_(std::move(fd)), offset_(offset), left_(length), length_(length) {}
  std::optional<std::uint64_t> size() const override { return length_; }
  std::size_t read(char* buffer, std::size_t capacity) override {
    if (left_ == 0) return 0;
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, left_));
    ssize_t n;
    do {
      n = ::pread(fd_.get(), buffer, want, static_cast<off_t>(offset_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw error(errc::internal, "cannot read the file: " + files::errno_text(errno));
    if (n == 0) throw error(errc::internal, "the file became shorter while it was sent");
    offset_ += static_cast<std::uint64_t>(n);
    left_ -= static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }

 private:
  unique_fd fd_;
  std::uint64_t offset_;
  std::uint64_t left_;
  std::uint64_t length_;
};

class zip_source final : public http::body_source {
 public:
  explicit zip_source(std::unique_ptr<files::zip_stream> zip) : zip_(std::move(zip)) {}
  std::optional<std::uint64_t> size() const override { return std::nullopt; }
  std::size_t read(char* buffer, std::size_t capacity) override { return zip_->read(buffer, capacity); }

 private:
  std::unique_ptr<files::zip_stream> zip_;
};

struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// One "bytes=first-last", "bytes=first-" or "bytes=-suffix" range. nullopt: ignore the header (another
// unit, several ranges, nonsense: the whole file is sent). Throws range_not_satisfiable.
std::optional<byte_range> parse_range(std::string_view header, std::uint64_t size) {
  if (!header.starts_with("bytes=")) return std::nullopt;
  std::string_view spec = header.substr(6);
  auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return std::nullopt;
  auto first_text = spec.substr(0, dash);
  auto last_text = spec.substr(dash + 1);
  if (first_text.empty()) {
    auto suffix = parse_number(last_text);
    if (!suffix) return std::nullopt;
    if (*suffix == 0 || size == 0) throw error(errc::range_not_satisfiable, "The range is empty.");
    std::uint64_t n = std::min(*suffix, size);
    return byte_range{size - n, n};
  }
  auto first = parse_number(first_text);
  auto last = last_text.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : parse_number(last_text);
  if (!first || !last || *last < *first) return std::nullopt;
  if (*first >= size) throw error(errc::range_not_satisfiable, fmt::format("The file has only {} bytes.", size));
  return byte_range{*first, std::min(*last, size - 1) - *first + 1};
}

http::response list_files(services& s, http::context& ctx) {
  auto sp = space_of(s, ctx);
  auto path = path_param(ctx.req, "path", false);
  auto entries = nlohmann::json::array();
  for (const auto& e : s.files.list(sp, path)) entries.push_back(entry_json(e));
  return json_response(200, {{"space", sp.name}, {"path", path}, {"writable", sp.writable}, {"entries", entries}});
}

http::response download(services& s, http::context& ctx) {
  auto sp = space_of(s, ctx);
  auto file = s.files.open_file(sp, path_param(ctx.req, "path", true));
  std::string etag = fmt::format("\"{:x}-{:x}\"", file.size, file.modified_ns);
  std::string_view mime = mime_type_for(file.name);
  bool show_inline = ctx.req.query_param("inline") == "1" &&
                     std::find(std::begin(inline_types), std::end(inline_types), mime) != std::end(inline_types);

  http::response res;
  res.headers.set("ETag", etag);
  res.headers.set("Last-Modified", http::http_date(file.modified));
  res.headers.set("Cache-Control", "private, no-cache");
  res.headers.set("Accept-Ranges", "bytes");
  if (ctx.req.headers.get("If-None-Match") == etag) {
    res.status = 304;
    return res;
  }
  res.headers.set("Content-Type", std::string(mime));
  res.headers.set("Content-Disposition", content_disposition(file.name, show_inline));
  res.headers.set("Content-Security-Policy", std::string(file_policy));

  std::optional<byte_range> range;
  std::string_view if_range = ctx.req.headers.get("If-Range");
  if (ctx.req.headers.has("Range") && (if_range.empty() || if_range == etag)) {
    try {
      range = parse_range(ctx.req.headers.get("Range"), file.size);
    } catch (const error& e) {
      auto refusal = http::error_response(e);
      refusal.headers.set("Content-Range", fmt::format("bytes */{}", file.size));
      return refusal;
    }
  }
  if (range) {
    res.status = 206;
    res.headers.set("Content-Range",
                    fmt::format("bytes {}-{}/{}", range->first, range->first + range->length - 1, file.size));
  } else {
    range = byte_range{0, file.size};
  }
  res.stream = std::make_shared<file_range_source>(std::move(file.fd), range->first, range->length);
  return res;
}

// Takes an upload's body, then puts the file in place and records it; dropped early, it leaves nothing.
class upload_sink final : public http::body_sink {
 public:
  upload_sink(services& s, const http::context& ctx, std::string space, std::string path,
              std::unique_ptr<files::upload> up)
      : s_(s), req_(ctx.req), user_(ctx.user), space_(std::move(space)), path_(std::move(path)), up_(std::move(up)) {}

  void write(std::string_view piece) override { up_->write(piece); }

  http::response finish() override {
    auto entry = up_->commit();
    http::context ctx{req_, {}, user_, std::nullopt, nullptr, nullptr};
    record_audit(s_, ctx,
                 {"file.upload", "files:" + space_ + ":" + path_, true, std::nullopt, "", {{"size", entry.size}}});
    return json_response(201, {{"entry", entry_json(entry)}});
  }

 private:
  services& s_;
  http::request req_;
  std::optional<http::principal> user_;
  std::string space_;
  std::string path_;
  std::unique_ptr<files::upload> up_;
};

http::response upload_file(services& s, http::context& ctx) {
  auto sp = space_of(s, ctx);
  auto path = path_param(ctx.req, "path", true);
  auto overwrite = ctx.req.query_param("overwrite");
  std::optional<std::uint64_t> declared;
  if (ctx.req.headers.has("Content-Length")) declared = parse_number(ctx.req.headers.get("Content-Length"));
  auto up = s.files.begin_upload(sp, path, overwrite == "1" || overwrite == "true", declared);
  ctx.sink = std::make_shared<upload_sink>(s, ctx, sp.name, path, std::move(up));
  return http::response::no_content();  // not sent: the sink's finish() answers
}

http::response make_dir(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, {"path"});
  auto path = required_string(body, "path", files::max_path_bytes);
  auto sp = space_of(s, ctx);
  auto entry = s.files.make_dir(sp, path);
  record_audit(s, ctx, {"file.mkdir", "files:" + sp.name + ":" + path});
  return json_response(201, {{"entry", entry_json(entry)}});
}

// A rename or a move within the space, or with to_space a move into another space the caller may write.
http::response move_entry(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, {"from", "to", "to_space"});
  auto from = required_string(body, "from", files::max_path_bytes);
  auto to = required_string(body, "to", files::max_path_bytes);
  auto to_space_name = optional_string(body, "to_space", 64);
  auto sp = space_of(s, ctx);
  auto target = to_space_name && *to_space_name != sp.name
                    ? s.files.resolve(ctx.user->user_id, ctx.user->user_role, *to_space_name)
                    : sp;
  s.files.move(sp, from, target, to);
  record_audit(
      s, ctx,
      {"file.move", "files:" + sp.name + ":" + from, true, std::nullopt, "", {{"to", to}, {"to_space", target.name}}});
  return http::response::no_content();
}

http::response delete_entry(services& s, http::context& ctx) {
  auto sp = space_of(s, ctx);
  auto path = path_param(ctx.req, "path", true);
  s.files.remove(sp, path);
  record_audit(s, ctx, {"file.delete", "files:" + sp.name + ":" + path});
  return http::response::no_content();
}

http::response download_zip(services& s, http::context& ctx) {
  auto sp = space_of(s, ctx);
  auto path = path_param(ctx.req, "path", false);
  auto zip = s.files.zip(sp, path);
  auto names = files::split_path(path);
  std::string name = (names.empty() ? sp.name : names.back()) + ".zip";
  http::response res;
  res.headers.set("Content-Type", "application/zip");
  res.headers.set("Content-Disposition", content_disposition(name, false));
  res.headers.set("Cache-Control", "no-store");
  res.stream = std::make_shared<zip_source>(std::move(zip));
  return res;
}

}  // namespace

void add_file_routes(http::router& r, services& s) {
  r.add({method::get, "/api/files/{space}", access::signed_in, bind_handler(s, list_files)});
  r.add({method::del, "/api/files/{space}", access::signed_in, bind_handler(s, delete_entry)});
  r.add({method::get, "/api/files/{space}/content", access::signed_in, bind_handler(s, download)});
  r.add({.verb = method::put,
         .pattern = "/api/files/{space}/content",
         .rule = access::signed_in,
         .fn = bind_handler(s, upload_file),
         .streamed_body = true});
  r.add({method::post, "/api/files/{space}/mkdir", access::signed_in, bind_handler(s, make_dir)});
  r.add({method::post, "/api/files/{space}/move", access::signed_in, bind_handler(s, move_entry)});
  r.add({method::get, "/api/files/{space}/zip", access::signed_in, bind_handler(s, download_zip)});
}

}  // namespace deskgate::api
