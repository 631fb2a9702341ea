#include "auth/oidc/login_error.hpp"

namespace deskgate::auth::oidc {

std::string_view code_of(failure f) noexcept {
  switch (f) {
    case failure::not_configured:
      return "oidc_not_configured";
    case failure::state_invalid:
      return "oidc_state_invalid";
    case failure::denied:
      return "oidc_denied";
    case failure::idp_unavailable:
      return "oidc_idp_unavailable";
    case failure::idp_invalid:
      return "oidc_idp_invalid";
    case failure::code_rejected:
      return "oidc_code_rejected";
    case failure::token_invalid:
      return "oidc_token_invalid";
    case failure::claims_invalid:
      return "oidc_claims_invalid";
    case failure::account_conflict:
      return "oidc_account_conflict";
    case failure::account_disabled:
      return "oidc_account_disabled";
  }
  return "oidc_failed";
}

std::string_view message_of(failure f) noexcept {
  switch (f) {
    case failure::not_configured:
      return "Sign-in with the school account is not set up here.";
    case failure::state_invalid:
      return "This sign-in link has expired or was already used. Please start the sign-in again.";
    case failure::denied:
      return "The school's sign-in service did not let you in.";
    case failure::idp_unavailable:
      return "The school's sign-in service does not answer right now. Please try again in a few minutes.";
    case failure::idp_invalid:
      return "The school's sign-in service is set up in a way deskgate cannot use. Please tell your administrator.";
    case failure::code_rejected:
      return "The sign-in could not be completed. Please start the sign-in again.";
    case failure::token_invalid:
      return "The answer from the school's sign-in service could not be verified, so you were not signed in.";
    case failure::claims_invalid:
      return "The school's sign-in service did not say who you are. Please tell your administrator.";
    case failure::account_conflict:
      return "Your username is already used by another deskgate account. Please tell your administrator.";
    case failure::account_disabled:
      return "This account is disabled. Ask your administrator.";
  }
  return "The sign-in failed.";
}

}  // namespace deskgate::auth::oidc
