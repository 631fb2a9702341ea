// Branding: the app name, logo, favicon and theme colours every page shows. Kept as one JSON document in
// the settings table ("branding"); uploaded images live under <data_dir>/uploads. GET /api/branding is
// public (the sign-in page needs it); changes are admin-only and audited.
#include <algorithm>

#include "api/audit.hpp"
#include "api/image_upload.hpp"
#include "api/json_io.hpp"
#include "api/services.hpp"
#include "core/error.hpp"
#include "core/text.hpp"

namespace deskgate::api {
namespace {

using http::access;
using http::method;

constexpr std::string_view setting_key = "branding";
constexpr std::size_t max_app_name_chars = 60;
// The colours the UI themes itself with; the UI derives text-on-colour shades for contrast.
constexpr std::string_view color_names[] = {"primary", "header", "background", "text"};

nlohmann::json default_branding() {
  return {{"app_name", "deskgate"},
          {"colors", {{"primary", "#1d4ed8"}, {"header", "#1e293b"}, {"background", "#f4f6f9"}, {"text", "#1f2937"}}}};
}

// The stored document laid over the defaults, so a value missing from an older document still has one.
nlohmann::json load_branding(store& db) {
  auto b = default_branding();
  if (auto text = db.get_setting(setting_key)) {
    auto stored = nlohmann::json::parse(*text, nullptr, false);
    if (stored.is_object()) b.merge_patch(stored);
  }
  return b;
}

std::filesystem::path asset_file(services& s, std::string_view asset) {
  return s.cfg.server.data_dir / "uploads" / ("branding-" + std::string(asset));
}

// "logo" or "favicon" from the path; anything else does not exist.
std::string asset_from_path(const http::context& ctx) {
  auto asset = ctx.params.get("asset");
  if (asset != "logo" && asset != "favicon") throw error(errc::not_found, "There is nothing at " + ctx.req.path + ".");
  return std::string(asset);
}

nlohmann::json public_json(const nlohmann::json& b) {
  auto url = [&](const char* asset) -> nlohmann::json {
    if (!b.contains(asset)) return nullptr;
    return "/api/branding/" + std::string(asset) + "?v=" + std::to_string(b[asset].value("version", 0));
  };
  return {
      {"app_name", b["app_name"]}, {"logo_url", url("logo")}, {"favicon_url", url("favicon")}, {"colors", b["colors"]}};
}

http::response branding_answer(const nlohmann::json& b) { return json_response(200, {{"branding", public_json(b)}}); }

bool is_hex_color(const nlohmann::json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.size() == 7 && s[0] == '#' && s.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos;
}

// Characters, not bytes: UTF-8 continuation bytes are not counted.
std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string checked_app_name(const nlohmann::json& body) {
  auto name = optional_string(body, "app_name", max_app_name_chars * 4).value_or("");
  auto first = name.find_first_not_of(" \t");
  if (first == std::string::npos) throw error(errc::bad_request, "app_name: the name cannot be empty.");
  name = name.substr(first, name.find_last_not_of(" \t") - first + 1);
  if (utf8_length(name) > max_app_name_chars) {
    throw error(errc::bad_request, "app_name: at most 60 characters.");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) throw error(errc::bad_request, "app_name: control characters are not allowed.");
  }
  return name;
}

void apply_colors(nlohmann::json& b, const nlohmann::json& colors) {
  if (!colors.is_object()) throw error(errc::bad_request, "colors: must be an object of colour names and values.");
  for (const auto& [name, value] : colors.items()) {
    if (std::find(std::begin(color_names), std::end(color_names), name) == std::end(color_names)) {
      throw error(errc::bad_request,
                  "colors: unknown colour \"" + name + "\" (known: primary, header, background, text).");
    }
    if (!is_hex_color(value)) throw error(errc::bad_request, "colors." + name + ": use the form #rrggbb.");
    b["colors"][name] = to_lower(value.get<std::string>());
  }
}

void save(services& s, const nlohmann::json& b) { s.db.put_setting(setting_key, b.dump()); }

http::response get_branding(services& s, http::context&) { return branding_answer(load_branding(s.db)); }

http::response put_branding(services& s, http::context& ctx) {
  auto body = parse_json_object(ctx.req, {"app_name", "colors", "reset"});
  if (optional_bool(body, "reset").value_or(false)) {
    if (body.size() > 1) throw error(errc::bad_request, "reset: send it alone, without other changes.");
    std::error_code ec;
    for (const char* asset : {"logo", "favicon"}) std::filesystem::remove(asset_file(s, asset), ec);
    s.db.put_setting(setting_key, "{}");
    record_audit(s, ctx, {"branding.reset", "branding"});
    return branding_answer(default_branding());
  }
  auto b = load_branding(s.db);
  if (body.contains("app_name")) b["app_name"] = checked_app_name(body);
  if (body.contains("colors")) apply_colors(b, body["colors"]);
  save(s, b);
  record_audit(s, ctx, {"branding.update", "branding", true, std::nullopt, "", {{"fields", body.size()}}});
  return branding_answer(b);
}

http::response upload_asset(services& s, http::context& ctx) {
  auto asset = asset_from_path(ctx);
  auto type = checked_image_upload(ctx.req);
  store_image(asset_file(s, asset), ctx.req.body);
  auto b = load_branding(s.db);
  int version = b.contains(asset) ? b[asset].value("version", 0) + 1 : 1;
  b[asset] = {{"type", type}, {"version", version}};
  save(s, b);
  record_audit(s, ctx,
               {"branding." + asset + "_upload",
                "branding",
                true,
                std::nullopt,
                "",
                {{"type", type}, {"bytes", ctx.req.body.size()}}});
  return branding_answer(b);
}

http::response remove_asset(services& s, http::context& ctx) {
  auto asset = asset_from_path(ctx);
  std::error_code ec;
  std::filesystem::remove(asset_file(s, asset), ec);
  auto b = load_branding(s.db);
  b.erase(asset);
  save(s, b);
  record_audit(s, ctx, {"branding." + asset + "_remove", "branding"});
  return branding_answer(b);
}

http::response get_asset(services& s, http::context& ctx) {
  auto asset = asset_from_path(ctx);
  auto b = load_branding(s.db);
  if (!b.contains(asset)) throw error(errc::not_found, "No " + asset + " has been uploaded.");
  return image_response(asset_file(s, asset), b[asset].value("type", "application/octet-stream"));
}

}  // namespace

void add_branding_routes(http::router& r, services& s) {
  r.add({method::get, "/api/branding", access::anyone, bind_handler(s, get_branding)});
  r.add({method::get, "/api/branding/{asset}", access::anyone, bind_handler(s, get_asset)});
  r.add({method::put, "/api/admin/branding", access::admin, bind_handler(s, put_branding)});
  r.add({method::put, "/api/admin/branding/{asset}", access::admin, bind_handler(s, upload_asset)});
  r.add({method::del, "/api/admin/branding/{asset}", access::admin, bind_handler(s, remove_asset)});
}

}  // namespace deskgate::api
