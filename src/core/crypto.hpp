// Small cryptographic building blocks on libsodium: random tokens, hashing of tokens for storage, and
// constant-time comparison. Call crypto_init() once before any of them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace deskgate::crypto {

void init();

// `bytes` random bytes, base64url without padding (a 32-byte token is 43 characters).
std::string random_token(std::size_t bytes = 32);

// True for what random_token(32) makes: 43 base64url characters. Anything else is not worth a lookup.
bool looks_like_token(std::string_view token) noexcept;

// A password of `length` characters from an alphabet without look-alikes (0/O, 1/l/I).
std::string random_password(std::size_t length = 20);

// SHA-256 of `data`, lower-case hex. Session tokens are stored only in this form.
std::string sha256_hex(std::string_view data);

// SHA-256 of `data`, the 32 raw bytes.
std::string sha256(std::string_view data);

// Base64url without padding (RFC 4648 §5), as JWTs and PKCE use it. decode: nullopt on any character
// outside the alphabet, on padding and on a length no encoding produces.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
// Standard base64 with padding (RFC 4648 §4), as HTTP Basic authentication uses it.
std::string base64_encode(std::string_view bytes);

bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace deskgate::crypto
