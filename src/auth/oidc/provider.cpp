#include "auth/oidc/provider.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "auth/oidc/login_error.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/text.hpp"

namespace deskgate::auth::oidc {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_detail_length = 200;

std::string string_member(const json& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The IdP's own words about an error ({"error": "...", "error_description": "..."}), shortened; these
// never carry tokens.
std::string idp_error(const json& body) {
  std::string text = string_member(body, "error");
  std::string description = string_member(body, "error_description");
  if (!description.empty()) text += (text.empty() ? "" : ": ") + description;
  return text.substr(0, max_detail_length);
}

bool is_json_type(std::string_view content_type) {
  return content_type.starts_with("application/json") || content_type.find("+json") != std::string_view::npos;
}

}  // namespace

provider::provider(provider_settings settings, const clock& clk)
    : settings_(std::move(settings)), clock_(clk), client_(http::client_options{.timeout = settings_.timeout}) {}

http::client_response provider::call(http::client_request req, std::string_view what) {
  req.headers.emplace_back("Accept", "application/json");
  http::client_response res;
  try {
    res = client_.send(req);
  } catch (const error& e) {
    throw login_error(failure::idp_unavailable, fmt::format("{}: {}", what, e.what()));
  }
  if (res.status >= 500) {
    throw login_error(failure::idp_unavailable, fmt::format("{}: the provider answered {}", what, res.status));
  }
  return res;
}

json provider::get_json(const std::string& url, std::string_view what) {
  auto res = call({.method = "GET", .url = url, .headers = {}, .body = {}}, what);
  auto parsed = json::parse(res.body, nullptr, false);
  if (res.status != 200) {
    throw login_error(failure::idp_invalid, fmt::format("{}: the provider answered {} {}", what, res.status,
                                                        parsed.is_object() ? idp_error(parsed) : ""));
  }
  if (!parsed.is_object()) throw login_error(failure::idp_invalid, fmt::format("{}: not a JSON object", what));
  return parsed;
}

provider_metadata provider::metadata() {
  {
    std::lock_guard lock(mutex_);
    if (metadata_ && clock_.now() - metadata_fetched_at_ < settings_.discovery_refresh.count()) return *metadata_;
  }
  auto doc = get_json(std::string(without_trailing_slashes(settings_.issuer)) + "/.well-known/openid-configuration",
                      "the discovery document");
  provider_metadata m{
      .issuer = string_member(doc, "issuer"),
      .authorization_endpoint = string_member(doc, "authorization_endpoint"),
      .token_endpoint = string_member(doc, "token_endpoint"),
      .jwks_uri = string_member(doc, "jwks_uri"),
      .userinfo_endpoint = string_member(doc, "userinfo_endpoint"),
      .end_session_endpoint = string_member(doc, "end_session_endpoint"),
  };
  auto invalid = [](std::string detail) { return login_error(failure::idp_invalid, "discovery document: " + detail); };
  if (m.issuer != settings_.issuer) {
    throw invalid(fmt::format("its issuer \"{}\" is not the configured \"{}\"", m.issuer.substr(0, max_detail_length),
                              settings_.issuer));
  }
  // With an https issuer every endpoint must be https too: the code and the tokens travel through them.
  std::string_view scheme = settings_.issuer.starts_with("https://") ? "https://" : "http";
  for (auto [name, value] : {std::pair{"authorization_endpoint", &m.authorization_endpoint},
                             std::pair{"token_endpoint", &m.token_endpoint}, std::pair{"jwks_uri", &m.jwks_uri}}) {
    if (!value->starts_with(scheme)) throw invalid(fmt::format("\"{}\" is missing or not an {} URL", name, scheme));
  }
  for (auto* optional : {&m.userinfo_endpoint, &m.end_session_endpoint}) {
    if (!optional->empty() && !optional->starts_with(scheme)) optional->clear();
  }
  if (auto methods = doc.find("code_challenge_methods_supported");
      methods != doc.end() && methods->is_array() &&
      std::find(methods->begin(), methods->end(), "S256") == methods->end()) {
    throw invalid("the provider does not support PKCE with S256");
  }
  std::lock_guard lock(mutex_);
  if (metadata_ && metadata_->jwks_uri != m.jwks_uri) keys_.reset();
  metadata_ = m;
  metadata_fetched_at_ = clock_.now();
  return m;
}

std::shared_ptr<const provider::key_list> provider::fetch_keys() {
  auto doc = get_json(metadata().jwks_uri, "the provider's keys (JWKS)");
  std::shared_ptr<const key_list> keys;
  try {
    keys = std::make_shared<const key_list>(keys_from_jwks(doc));
  } catch (const std::invalid_argument& e) {
    throw login_error(failure::idp_invalid, e.what());
  }
  std::lock_guard lock(mutex_);
  keys_ = keys;
  return keys;
}

json provider::verify_id_token(const std::string& id_token, const std::string& nonce) {
  std::shared_ptr<const key_list> keys;
  {
    std::lock_guard lock(mutex_);
    keys = keys_;
  }
  bool fetched = false;
  if (!keys) {
    keys = fetch_keys();
    fetched = true;
  }
  auto find = [&](const std::string& kid, const std::string& alg) -> const public_key* {
    auto match = [&] {
      auto it = std::find_if(keys->begin(), keys->end(),
                             [&](const public_key& k) { return k.alg == alg && (kid.empty() || k.kid == kid); });
      return it == keys->end() ? nullptr : &*it;
    };
    const public_key* key = match();
    // The provider may have rotated its keys since they were cached: ask once more, never in a loop.
    if (!key && !fetched) {
      keys = fetch_keys();
      fetched = true;
      key = match();
    }
    return key;
  };
  return oidc::verify_id_token(id_token, find,
                               {.issuer = settings_.issuer,
                                .client_id = settings_.client_id,
                                .nonce = nonce,
                                .now = clock_.now(),
                                .skew_seconds = 60});
}

token_set provider::exchange_code(const std::string& code, const std::string& redirect_uri,
                                  const std::string& code_verifier) {
  auto endpoint = metadata().token_endpoint;
  http::client_request req{.method = "POST", .url = endpoint, .headers = {}, .body = {}};
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "grant_type=authorization_code&code=" + http::form_encode(code) +
             "&redirect_uri=" + http::form_encode(redirect_uri) + "&code_verifier=" + http::form_encode(code_verifier);
  if (settings_.secret_in_body) {
    req.body += "&client_id=" + http::form_encode(settings_.client_id) +
                "&client_secret=" + http::form_encode(settings_.client_secret);
  } else {
    // RFC 6749 §2.3.1: both parts form-encoded before base64.
    req.headers.emplace_back("Authorization",
                             "Basic " + crypto::base64_encode(http::form_encode(settings_.client_id) + ":" +
                                                              http::form_encode(settings_.client_secret)));
  }
  auto res = call(std::move(req), "the token endpoint");
  auto body = json::parse(res.body, nullptr, false);
  if (res.status != 200) {
    std::string why = body.is_object() ? idp_error(body) : "";
    // invalid_client is deskgate's configuration (client id or secret); anything else is this code.
    auto f = string_member(body, "error") == "invalid_client" ? failure::idp_invalid : failure::code_rejected;
    throw login_error(f, fmt::format("the token endpoint refused the code ({}): {}", res.status, why));
  }
  if (!body.is_object() || string_member(body, "id_token").empty()) {
    throw login_error(failure::token_invalid, "the token endpoint answered without an id_token");
  }
  return {string_member(body, "id_token"), string_member(body, "access_token")};
}

json provider::userinfo(const std::string& access_token, const std::string& subject) {
  auto endpoint = metadata().userinfo_endpoint;
  if (endpoint.empty()) return json::object();
  auto res =
      call({.method = "GET", .url = endpoint, .headers = {{"Authorization", "Bearer " + access_token}}, .body = {}},
           "the userinfo endpoint");
  auto body = json::parse(res.body, nullptr, false);
  if (res.status != 200 || !is_json_type(res.content_type) || !body.is_object()) {
    throw login_error(failure::idp_invalid, fmt::format("the userinfo endpoint answered {} ({}) without a JSON object",
                                                        res.status, res.content_type.substr(0, 60)));
  }
  // OpenID Connect Core §5.3.2: claims for another subject must not be used.
  if (string_member(body, "sub") != subject) {
    throw login_error(failure::token_invalid, "userinfo: \"sub\" is not the id_token's subject");
  }
  return body;
}

}  // namespace deskgate::auth::oidc
