// OpenID Connect sign-in, authorization code flow with PKCE (S256), state and nonce:
//   start():  a fresh state, nonce and PKCE verifier stored server-side (oidc_logins, 10 minutes), bound
//             to the browser by a random token in the deskgate_oidc cookie (HttpOnly, SameSite=Lax so it
//             comes back on the IdP's top-level redirect), and the IdP's authorization URL.
//   finish(): the state taken (once) and checked against the cookie, the code exchanged, the id_token
//             verified, userinfo read when claims are missing, the user created or updated with their
//             groups and the role those give (recomputed at every sign-in).
// Failures are login_errors; nothing is changed for anyone when finish() fails before provisioning.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/oidc/claims.hpp"
#include "auth/oidc/provider.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "store/store.hpp"

namespace deskgate::auth::oidc {

// `next` if it is a local path (one leading '/', no "//" or "/\" start, no scheme, no control
// characters), otherwise "/".
std::string safe_next_path(std::string_view next);

class login_flow {
 public:
  static constexpr std::string_view cookie_name = "deskgate_oidc";

  login_flow(const config& cfg, store& db, const clock& clk);

  struct started {
    std::string authorization_url;
    std::string set_cookie;
  };
  // `browser_token`: the deskgate_oidc cookie the browser already has (reused, so two tabs both work).
  started start(std::string_view next, const std::optional<std::string>& browser_token);

  struct callback_params {
    std::optional<std::string> code;
    std::optional<std::string> state;
    std::optional<std::string> error;
    std::optional<std::string> iss;
    std::optional<std::string> browser_token;
  };
  struct signed_in {
    user account;
    role previous_role = role::student;
    bool created = false;
    std::vector<external_group> groups;
    std::string next;
  };
  signed_in finish(const callback_params& params);

  // Where the browser goes after deskgate's own logout to end the IdP session too, when end_session is
  // on and the provider advertises an end_session_endpoint; nullopt otherwise (or when it cannot be asked).
  std::optional<std::string> logout_url();

  std::string clear_cookie_header() const;
  int purge_expired();

 private:
  signed_in provision(const identity& id);

  const oidc_config& cfg_;
  store& db_;
  const clock& clock_;
  provider provider_;
  claim_names claims_;
  std::string redirect_uri_;
  std::string post_logout_uri_;
  bool secure_cookie_;
};

}  // namespace deskgate::auth::oidc
