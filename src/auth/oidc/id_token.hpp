// Compact JWS parsing and the id_token checks of OpenID Connect Core §3.1.3.7: signature with an allowed
// algorithm and a key of the provider, iss, aud (and azp when there are several audiences), exp and iat
// within a small clock skew, nonce. Every failure is a login_error{failure::token_invalid} whose detail
// names the check (never the token).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/oidc/jwk.hpp"

namespace deskgate::auth::oidc {

struct jws {
  nlohmann::json header;
  nlohmann::json payload;
  std::string signing_input;  // base64url(header) "." base64url(payload)
  std::string signature;      // decoded
  std::string alg;
  std::string kid;
};

// Splits and decodes a compact JWS; header and payload must be JSON objects.
jws parse_jws(std::string_view compact);

struct id_token_checks {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  std::int64_t now = 0;
  std::int64_t skew_seconds = 60;
};

// The key for (kid, alg), or nullptr. The provider's lookup refetches its JWKS once for an unknown kid.
using key_lookup = std::function<const public_key*(const std::string& kid, const std::string& alg)>;

// Verifies the signature and the claims; returns the payload.
nlohmann::json verify_id_token(std::string_view compact, const key_lookup& find_key, const id_token_checks& checks);

}  // namespace deskgate::auth::oidc
