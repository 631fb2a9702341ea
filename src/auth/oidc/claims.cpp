#include "auth/oidc/claims.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "auth/accounts.hpp"
#include "auth/oidc/login_error.hpp"

namespace deskgate::auth::oidc {
namespace {

constexpr std::size_t max_claim_length = 256;

// A claim as text: strings as they are, integers written out (some providers send numeric ids).
std::string text_claim(const nlohmann::json& claims, const std::string& name) {
  auto it = claims.find(name);
  if (it == claims.end()) return {};
  if (it->is_string()) return it->get<std::string>().substr(0, max_claim_length);
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return {};
}

std::string first_text(const nlohmann::json& o, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto value = text_claim(o, name);
    if (!value.empty()) return value;
  }
  return {};
}

void add_group(std::vector<external_group>& out, std::string id, std::string name) {
  if (id.empty()) return;
  if (std::any_of(out.begin(), out.end(), [&](const auto& g) { return g.external_id == id; })) return;
  out.push_back({id, name.empty() ? id : name});
}

void add_group_entry(std::vector<external_group>& out, const nlohmann::json& entry, const std::string& key) {
  if (entry.is_string()) {
    // ["teachers"], or {"17": "Teachers"} where the key is the id.
    key.empty() ? add_group(out, entry.get<std::string>(), "") : add_group(out, key, entry.get<std::string>());
  } else if (entry.is_object()) {
    add_group(out, first_text(entry, {"act", "id", "name"}), first_text(entry, {"name", "display_name"}));
  }
}

}  // namespace

std::vector<external_group> parse_groups(const nlohmann::json& claim) {
  std::vector<external_group> out;
  if (claim.is_array()) {
    for (const auto& entry : claim) add_group_entry(out, entry, "");
  } else if (claim.is_object()) {
    for (const auto& [key, entry] : claim.items()) add_group_entry(out, entry, key);
  }
  return out;
}

bool has_identity_claims(const nlohmann::json& claims, const claim_names& names) {
  return !text_claim(claims, names.user_id).empty() && !text_claim(claims, names.username).empty() &&
         claims.contains(names.groups);
}

identity map_identity(const nlohmann::json& claims, const claim_names& names) {
  identity id;
  id.subject = text_claim(claims, names.user_id);
  if (id.subject.empty()) {
    throw login_error(failure::claims_invalid, fmt::format("the user id claim \"{}\" is missing", names.user_id));
  }
  id.username = text_claim(claims, names.username);
  if (auto why = username_violation(id.username)) {
    throw login_error(failure::claims_invalid,
                      fmt::format("the username claim \"{}\" is not a usable username: {}", names.username, *why));
  }
  id.display_name = text_claim(claims, names.display_name);
  if (id.display_name.empty()) id.display_name = id.username;
  id.email = text_claim(claims, names.email);
  if (auto it = claims.find(names.groups); it != claims.end()) id.groups = parse_groups(*it);
  return id;
}

role role_for(const std::vector<external_group>& groups, const std::vector<std::string>& admin_groups,
              const std::vector<std::string>& teacher_groups) {
  auto in_any = [&](const std::vector<std::string>& wanted) {
    return std::any_of(groups.begin(), groups.end(), [&](const external_group& g) {
      return std::find(wanted.begin(), wanted.end(), g.external_id) != wanted.end();
    });
  };
  if (in_any(admin_groups)) return role::admin;
  if (in_any(teacher_groups)) return role::teacher;
  return role::student;
}

}  // namespace deskgate::auth::oidc
