// Password hashing with argon2id (libsodium's crypto_pwhash_str, interactive limits) and the password
// policy for local accounts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace deskgate::auth {

std::string hash_password(std::string_view password);
// Constant-time with respect to the password; false for malformed hashes.
bool verify_password(std::string_view hash, std::string_view password);
// Burns the time of one verification, so an unknown username answers as slowly as a wrong password.
void verify_dummy_password(std::string_view password);

// Why a new password is not acceptable, or nullopt when it is.
std::optional<std::string> password_policy_violation(std::string_view password);

}  // namespace deskgate::auth
