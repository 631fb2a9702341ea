#include "auth/accounts.hpp"

#include <algorithm>
#include <cctype>

#include "auth/password.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"

namespace deskgate::auth {

std::optional<std::string> username_violation(std::string_view username) {
  if (username.empty() || username.size() > 64) {
    return "A username has 1 to 64 characters.";
  }
  bool allowed = std::all_of(username.begin(), username.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '@';
  });
  if (!allowed) {
    return "A username may contain only letters, digits and . _ - @";
  }
  return std::nullopt;
}

user create_local_user(store& db, std::string_view username, std::string_view password, role r,
                       std::string_view display_name) {
  if (auto why = username_violation(username)) throw error(errc::bad_request, *why);
  if (auto why = password_policy_violation(password)) throw error(errc::bad_request, *why);
  new_user u;
  u.username = std::string(username);
  u.display_name = display_name.empty() ? u.username : std::string(display_name);
  u.user_role = r;
  u.password_hash = hash_password(password);
  return db.create_user(u);
}

void change_password(store& db, std::string_view username, std::string_view password) {
  if (auto why = password_policy_violation(password)) throw error(errc::bad_request, *why);
  auto u = db.find_user_by_username(username);
  if (!u) throw error(errc::not_found, "There is no user named " + std::string(username) + ".");
  db.set_user_password(u->id, hash_password(password));
  db.delete_sessions_of_user(u->id);
}

std::optional<bootstrap_admin> ensure_admin(store& db) {
  if (db.count_admins() > 0) return std::nullopt;
  std::string name = "admin";
  for (int i = 2; db.find_user_by_username(name); ++i) {
    name = "admin-" + std::to_string(i);
  }
  bootstrap_admin out{name, crypto::random_password(20)};
  create_local_user(db, out.username, out.password, role::admin, "Administrator");
  return out;
}

}  // namespace deskgate::auth
