// The OpenID provider as deskgate talks to it: its discovery document (fetched, validated and cached,
// refreshed after discovery_refresh), its signing keys (JWKS, cached, fetched again once when a token
// names an unknown key), the token exchange and the userinfo call. Every call has the configured timeout;
// failures are login_errors (idp_unavailable, idp_invalid, code_rejected, token_invalid). Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth/oidc/id_token.hpp"
#include "core/clock.hpp"
#include "http/http_client.hpp"

namespace deskgate::auth::oidc {

struct provider_settings {
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  bool secret_in_body = false;  // client_secret_post instead of client_secret_basic
  std::chrono::milliseconds timeout{10'000};
  std::chrono::seconds discovery_refresh{3600};
};

struct provider_metadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;     // optional
  std::string end_session_endpoint;  // optional
};

struct token_set {
  std::string id_token;
  std::string access_token;
};

class provider {
 public:
  provider(provider_settings settings, const clock& clk);

  const provider_settings& settings() const { return settings_; }

  // The discovery document, from the cache while it is fresh.
  provider_metadata metadata();

  // POST to the token endpoint (authorization_code grant with the PKCE verifier).
  token_set exchange_code(const std::string& code, const std::string& redirect_uri, const std::string& code_verifier);

  // The id_token's verified claims; the key comes from the cached JWKS, fetched again once for an unknown kid.
  nlohmann::json verify_id_token(const std::string& id_token, const std::string& nonce);

  // GET userinfo with the access token; its "sub" must be `subject`.
  nlohmann::json userinfo(const std::string& access_token, const std::string& subject);

 private:
  using key_list = std::vector<public_key>;
  // Sends `req` (asking for JSON); unreachable, slow and 5xx answers are failure::idp_unavailable.
  http::client_response call(http::client_request req, std::string_view what);
  nlohmann::json get_json(const std::string& url, std::string_view what);
  std::shared_ptr<const key_list> fetch_keys();

  provider_settings settings_;
  const clock& clock_;
  http::http_client client_;
  std::mutex mutex_;  // guards the two caches below
  std::optional<provider_metadata> metadata_;
  std::int64_t metadata_fetched_at_ = 0;
  std::shared_ptr<const key_list> keys_;
};

}  // namespace deskgate::auth::oidc
