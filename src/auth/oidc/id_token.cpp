#include "auth/oidc/id_token.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "auth/oidc/login_error.hpp"
#include "core/crypto.hpp"

namespace deskgate::auth::oidc {
namespace {

[[noreturn]] void invalid(std::string detail) { throw login_error(failure::token_invalid, "id_token: " + detail); }

nlohmann::json decode_object(std::string_view part, std::string_view what) {
  auto bytes = crypto::base64url_decode(part);
  if (!bytes) invalid(fmt::format("the {} is not base64url", what));
  auto parsed = nlohmann::json::parse(*bytes, nullptr, false);
  if (!parsed.is_object()) invalid(fmt::format("the {} is not a JSON object", what));
  return parsed;
}

std::string string_claim(const nlohmann::json& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t time_claim(const nlohmann::json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) invalid(fmt::format("\"{}\" is missing or not a number", name));
  return it->is_number_integer() ? it->get<std::int64_t>() : static_cast<std::int64_t>(it->get<double>());
}

}  // namespace

jws parse_jws(std::string_view compact) {
  auto first = compact.find('.');
  auto second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    invalid("not a compact JWS (three parts separated by '.')");
  }
  jws out;
  out.header = decode_object(compact.substr(0, first), "header");
  out.payload = decode_object(compact.substr(first + 1, second - first - 1), "payload");
  out.signing_input = std::string(compact.substr(0, second));
  auto signature = crypto::base64url_decode(compact.substr(second + 1));
  if (!signature) invalid("the signature is not base64url");
  out.signature = std::move(*signature);
  out.alg = string_claim(out.header, "alg");
  out.kid = string_claim(out.header, "kid");
  return out;
}

nlohmann::json verify_id_token(std::string_view compact, const key_lookup& find_key, const id_token_checks& checks) {
  jws token = parse_jws(compact);
  if (!is_supported_algorithm(token.alg)) {
    invalid(fmt::format("algorithm \"{}\" is not accepted (only RS256 and ES256)", token.alg));
  }
  const public_key* key = find_key(token.kid, token.alg);
  if (!key) invalid(fmt::format("no {} key \"{}\" in the provider's JWKS", token.alg, token.kid));
  if (!verify_signature(token.alg, *key, token.signing_input, token.signature)) invalid("the signature is wrong");

  const auto& p = token.payload;
  if (string_claim(p, "iss") != checks.issuer) invalid("\"iss\" is not the configured issuer");
  const auto aud = p.find("aud");
  std::vector<std::string> audiences;
  if (aud != p.end() && aud->is_string()) audiences.push_back(aud->get<std::string>());
  if (aud != p.end() && aud->is_array()) {
    for (const auto& a : *aud) {
      if (a.is_string()) audiences.push_back(a.get<std::string>());
    }
  }
  if (std::find(audiences.begin(), audiences.end(), checks.client_id) == audiences.end()) {
    invalid("\"aud\" does not name this client");
  }
  if (p.contains("azp") || audiences.size() > 1) {
    if (string_claim(p, "azp") != checks.client_id) invalid("\"azp\" does not name this client");
  }
  if (time_claim(p, "exp") + checks.skew_seconds <= checks.now) invalid("it has expired");
  if (time_claim(p, "iat") - checks.skew_seconds > checks.now) invalid("it was issued in the future");
  if (!crypto::constant_time_equal(string_claim(p, "nonce"), checks.nonce) || checks.nonce.empty()) {
    invalid("\"nonce\" does not match this sign-in");
  }
  if (string_claim(p, "sub").empty()) invalid("\"sub\" is missing");
  return p;
}

}  // namespace deskgate::auth::oidc
