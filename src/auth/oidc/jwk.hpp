// Public keys from a JSON Web Key Set (RFC 7517) as OpenSSL keys, and JWS signature verification for the
// two algorithms deskgate accepts from an OpenID provider: RS256 (RSA, at least 2048 bits) and ES256
// (P-256). Keys for anything else (encryption keys, other curves, symmetric keys) are skipped, not errors:
// providers publish them side by side.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate::auth::oidc {

// The signature algorithms accepted; everything else ("none", HS256, ...) is refused.
bool is_supported_algorithm(std::string_view alg) noexcept;

struct public_key {
  std::string kid;
  std::string alg;  // the algorithm this key is for: "RS256" or "ES256"
  std::shared_ptr<EVP_PKEY> key;
};

// One JWK as a key; nullopt when it is not an RS256/ES256 signing key. Throws std::invalid_argument
// for a key of a supported type whose members are malformed (bad base64url, point not on the curve, RSA
// modulus under 2048 bits).
std::optional<public_key> key_from_jwk(const nlohmann::json& jwk);

// Every usable key of a JWKS document ({"keys": [...]}). Throws std::invalid_argument when the document
// has no "keys" array; malformed keys are skipped.
std::vector<public_key> keys_from_jwks(const nlohmann::json& jwks);

// Verifies a JWS signature (already base64url-decoded) over `signing_input` with `key`. False for a
// wrong signature, a key of the wrong type for `alg`, or an unsupported `alg`.
bool verify_signature(std::string_view alg, const public_key& key, std::string_view signing_input,
                      std::string_view signature);

}  // namespace deskgate::auth::oidc
