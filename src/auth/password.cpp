#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace deskgate::auth {
namespace {

constexpr std::size_t min_password_length = 8;
constexpr std::size_t max_password_length = 1024;  // argon2 takes any length; this bounds the work

}  // namespace

std::string hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("out of memory while hashing a password");
  }
  return out;
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void verify_dummy_password(std::string_view password) {
  static const std::string dummy = hash_password("deskgate-timing-equaliser");
  verify_password(dummy, password);
}

std::optional<std::string> password_policy_violation(std::string_view password) {
  if (password.size() < min_password_length) {
    return "The password must have at least " + std::to_string(min_password_length) + " characters.";
  }
  if (password.size() > max_password_length) {
    return "The password must have at most " + std::to_string(max_password_length) + " characters.";
  }
  return std::nullopt;
}

}  // namespace deskgate::auth
