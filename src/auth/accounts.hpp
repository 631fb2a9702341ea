// Local accounts: the rules for usernames and passwords, and the operations the CLI and the admin API
// share (create, change password, bootstrap the first admin).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace deskgate::auth {

// Why a username is not acceptable, or nullopt. Letters, digits and . _ - @, 1 to 64 characters.
std::optional<std::string> username_violation(std::string_view username);

// Throws deskgate::error: bad_request (rules), conflict (taken).
user create_local_user(store& db, std::string_view username, std::string_view password, role r,
                       std::string_view display_name = {});

// Sets a new password and ends the user's sessions. Throws deskgate::error: bad_request, not_found.
void change_password(store& db, std::string_view username, std::string_view password);

// When no enabled admin exists, creates "admin" (or "admin-2", ...) with a random password and returns
// that password (the only time it exists in clear text); nullopt when an admin exists.
struct bootstrap_admin {
  std::string username;
  std::string password;
};
std::optional<bootstrap_admin> ensure_admin(store& db);

}  // namespace deskgate::auth
