// From an OpenID provider's claims to a deskgate identity: which claim holds the user id, the username,
// the email and the groups (configurable; IServ uses "uuid" for the user id), the three shapes a groups
// claim comes in, and the role the groups give.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace deskgate::auth::oidc {

struct claim_names {
  std::string user_id = "sub";
  std::string username = "preferred_username";
  std::string email = "email";
  std::string groups = "groups";
  std::string display_name = "name";
};

struct external_group {
  std::string external_id;  // what admin_groups / teacher_groups name
  std::string name;         // shown to people
  bool operator==(const external_group&) const = default;
};

struct identity {
  std::string subject;  // the user id claim's value
  std::string username;
  std::string display_name;
  std::string email;
  std::vector<external_group> groups;
};

// Reads a groups claim: ["a", "b"], [{"id"|"act"|"name": ..., "name": ...}, ...], or IServ's
// {"key": {"act": ..., "name": ...}, ...}. Entries without an id are skipped; duplicates dropped.
std::vector<external_group> parse_groups(const nlohmann::json& claim);

// True when `claims` holds everything map_identity reads (so userinfo need not be asked).
bool has_identity_claims(const nlohmann::json& claims, const claim_names& names);

// Throws login_error{failure::claims_invalid} when the user id or a valid username is missing.
identity map_identity(const nlohmann::json& claims, const claim_names& names);

// admin if any group is an admin group, else teacher if any is a teacher group, else student. Groups
// match by external id.
role role_for(const std::vector<external_group>& groups, const std::vector<std::string>& admin_groups,
              const std::vector<std::string>& teacher_groups);

}  // namespace deskgate::auth::oidc
