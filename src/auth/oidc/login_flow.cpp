#include "auth/oidc/login_flow.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "auth/oidc/login_error.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "http/cookies.hpp"
#include "http/http_client.hpp"

namespace deskgate::auth::oidc {
namespace {

constexpr std::int64_t login_lifetime_seconds = 600;  // from start to callback
constexpr std::size_t max_next_length = 2048;
constexpr std::size_t max_param_length = 4096;

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(1, separator)) + p;
  return out;
}

bool plausible_token(const std::optional<std::string>& token) { return token && crypto::looks_like_token(*token); }

provider_settings settings_from(const oidc_config& c) {
  return {.issuer = c.issuer,
          .client_id = c.client_id,
          .client_secret = oidc_client_secret(c),
          .secret_in_body = c.token_auth_method == "client_secret_post",
          .timeout = c.timeout,
          .discovery_refresh = std::chrono::seconds(3600)};
}

}  // namespace

std::string safe_next_path(std::string_view next) {
  bool local =
      next.size() <= max_next_length && next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") &&
      std::none_of(next.begin(), next.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  return local ? std::string(next) : "/";
}

login_flow::login_flow(const config& cfg, store& db, const clock& clk)
    : cfg_(cfg.auth.oidc),
      db_(db),
      clock_(clk),
      provider_(settings_from(cfg.auth.oidc), clk),
      claims_{.user_id = cfg_.user_id_claim,
              .username = cfg_.username_claim,
              .email = cfg_.email_claim,
              .groups = cfg_.groups_claim,
              .display_name = "name"},
      redirect_uri_(std::string(without_trailing_slashes(cfg.server.public_url)) + "/api/auth/oidc/callback"),
      post_logout_uri_(std::string(without_trailing_slashes(cfg.server.public_url)) + "/login"),
      secure_cookie_(cfg.server.public_https) {}

login_flow::started login_flow::start(std::string_view next, const std::optional<std::string>& browser_token) {
  auto endpoint = provider_.metadata().authorization_endpoint;
  std::string browser = plausible_token(browser_token) ? *browser_token : crypto::random_token(32);
  std::string state = crypto::random_token(32);
  oidc_login_request request{
      .state_hash = crypto::sha256_hex(state),
      .browser_hash = crypto::sha256_hex(browser),
      .nonce = crypto::random_token(32),
      .code_verifier = crypto::random_token(48),  // 64 characters, RFC 7636 asks for 43-128
      .next_path = safe_next_path(next),
      .created_at = clock_.now(),
      .expires_at = clock_.now() + login_lifetime_seconds,
  };
  db_.create_oidc_login(request);

  auto challenge = crypto::base64url_encode(crypto::sha256(request.code_verifier));
  std::string url = endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&");
  url += "response_type=code&client_id=" + http::form_encode(cfg_.client_id) +
         "&redirect_uri=" + http::form_encode(redirect_uri_) + "&scope=" + http::form_encode(join(cfg_.scopes, ' ')) +
         "&state=" + state + "&nonce=" + request.nonce + "&code_challenge=" + challenge + "&code_challenge_method=S256";

  http::cookie_options opts;
  opts.secure = secure_cookie_;
  opts.path = "/api/auth/oidc";
  opts.max_age_seconds = login_lifetime_seconds;
  opts.same_site = "Lax";  // sent on the IdP's top-level redirect back; Strict would not be
  return {url, http::make_set_cookie(cookie_name, browser, opts)};
}

std::string login_flow::clear_cookie_header() const {
  http::cookie_options opts;
  opts.secure = secure_cookie_;
  opts.path = "/api/auth/oidc";
  opts.max_age_seconds = 0;
  return http::make_set_cookie(cookie_name, "", opts);
}

login_flow::signed_in login_flow::finish(const callback_params& params) {
  auto too_long = [](const std::optional<std::string>& p) { return p && p->size() > max_param_length; };
  if (too_long(params.code) || too_long(params.state) || too_long(params.error) || too_long(params.iss)) {
    throw login_error(failure::state_invalid, "a callback parameter is too long");
  }
  // The request is consumed before anything else: a state is good for one callback, successful or not.
  std::optional<oidc_login_request> request;
  if (params.state && !params.state->empty()) request = db_.take_oidc_login(crypto::sha256_hex(*params.state));
  if (params.error) {
    throw login_error(failure::denied, fmt::format("the provider answered \"{}\"", params.error->substr(0, 100)));
  }
  if (!params.state || params.state->empty()) throw login_error(failure::state_invalid, "the callback has no state");
  if (!request) throw login_error(failure::state_invalid, "the state is unknown or was already used");
  if (request->expires_at <= clock_.now()) throw login_error(failure::state_invalid, "the sign-in took too long");
  if (!plausible_token(params.browser_token) ||
      !crypto::constant_time_equal(crypto::sha256_hex(*params.browser_token), request->browser_hash)) {
    throw login_error(failure::state_invalid, "the sign-in was started in another browser (no matching cookie)");
  }
  // RFC 9207: an authorization response naming another issuer is a mix-up attack.
  if (params.iss && *params.iss != cfg_.issuer) {
    throw login_error(failure::token_invalid, "the authorization response names another issuer");
  }
  if (!params.code || params.code->empty()) throw login_error(failure::code_rejected, "the callback has no code");

  auto tokens = provider_.exchange_code(*params.code, redirect_uri_, request->code_verifier);
  auto claims = provider_.verify_id_token(tokens.id_token, request->nonce);
  if (!has_identity_claims(claims, claims_) && !tokens.access_token.empty()) {
    auto extra = provider_.userinfo(tokens.access_token, claims.value("sub", ""));
    for (const auto& [name, value] : extra.items()) {
      if (name != "iss" && name != "aud" && name != "sub") claims[name] = value;
    }
  }
  auto result = provision(map_identity(claims, claims_));
  result.next = request->next_path;
  return result;
}

login_flow::signed_in login_flow::provision(const identity& id) {
  signed_in out;
  out.groups = id.groups;
  role r = role_for(id.groups, cfg_.admin_groups, cfg_.teacher_groups);
  auto taken = db_.find_user_by_username(id.username);
  try {
    if (auto existing = db_.find_user_by_oidc_subject(id.subject)) {
      if (existing->disabled) throw login_error(failure::account_disabled, "the account is disabled");
      if (taken && taken->id != existing->id) {
        throw login_error(failure::account_conflict,
                          fmt::format("the username {} belongs to another account", id.username));
      }
      out.previous_role = existing->user_role;
      db_.update_user_profile(existing->id, id.username, id.display_name, id.email);
      if (existing->user_role != r) db_.set_user_role(existing->id, r);
      out.account = *db_.find_user(existing->id);
    } else {
      if (taken) {
        throw login_error(failure::account_conflict,
                          fmt::format("the username {} belongs to an account not linked to this sign-in", id.username));
      }
      out.account = db_.create_user({.username = id.username,
                                     .display_name = id.display_name,
                                     .email = id.email,
                                     .user_role = r,
                                     .password_hash = "",
                                     .oidc_subject = id.subject});
      out.previous_role = r;
      out.created = true;
    }
  } catch (const error& e) {
    if (e.code() != errc::conflict) throw;
    throw login_error(failure::account_conflict, e.what());  // lost a race for the username
  }
  std::vector<std::int64_t> group_ids;
  for (const auto& g : id.groups) group_ids.push_back(db_.upsert_group(g.external_id, g.name).id);
  db_.set_user_groups(out.account.id, group_ids);
  return out;
}

std::optional<std::string> login_flow::logout_url() {
  if (!cfg_.end_session) return std::nullopt;
  std::string endpoint;
  try {
    endpoint = provider_.metadata().end_session_endpoint;
  } catch (const login_error&) {
    return std::nullopt;  // deskgate's own logout must work while the IdP is down
  }
  if (endpoint.empty()) return std::nullopt;
  return endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") +
         "client_id=" + http::form_encode(cfg_.client_id) +
         "&post_logout_redirect_uri=" + http::form_encode(post_logout_uri_);
}

int login_flow::purge_expired() { return db_.purge_oidc_logins(clock_.now()); }

}  // namespace deskgate::auth::oidc
