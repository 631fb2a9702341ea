// Why an OpenID Connect sign-in failed. Each failure has a stable code (the browser is sent to
// /login?error=<code>, the web UI shows its own translation) and a message a person understands; the
// detail says what exactly was wrong, for the audit log and the server log (never tokens or secrets).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace deskgate::auth::oidc {

enum class failure {
  not_configured,    // OIDC is off
  state_invalid,     // missing, unknown, replayed, expired or foreign state (or no state cookie)
  denied,            // the IdP answered with an error (the user cancelled, access_denied)
  idp_unavailable,   // the IdP does not answer, or answers too slowly
  idp_invalid,       // the discovery document or JWKS is unusable
  code_rejected,     // the IdP refused to exchange the code (replayed, expired)
  token_invalid,     // the id_token failed verification (signature, iss, aud, exp, nonce, ...)
  claims_invalid,    // the user id or username claim is missing or unusable
  account_conflict,  // the username belongs to another account
  account_disabled,  // the matching deskgate account is disabled
};

std::string_view code_of(failure f) noexcept;
std::string_view message_of(failure f) noexcept;

class login_error : public std::runtime_error {
 public:
  login_error(failure f, std::string detail) : std::runtime_error(std::move(detail)), failure_(f) {}
  failure reason() const noexcept { return failure_; }

 private:
  failure failure_;
};

// Every failure with its code and message, for GET /api/auth/config.
inline constexpr failure all_failures[] = {
    failure::not_configured,   failure::state_invalid,    failure::denied,        failure::idp_unavailable,
    failure::idp_invalid,      failure::code_rejected,    failure::token_invalid, failure::claims_invalid,
    failure::account_conflict, failure::account_disabled,
};

}  // namespace deskgate::auth::oidc
