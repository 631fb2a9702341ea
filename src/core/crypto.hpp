// Small cryptographic building blocks on libsodium: random tokens, hashing of tokens for storage, and
// constant-time comparison. Call crypto_init() once before any of them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace deskgate::crypto {

void init();

// `bytes` random bytes, base64url without padding (a 32-byte token is 43 characters).
std::string random_token(std::size_t bytes = 32);

// Standard base64 with padding (RFC 4648 §4): HTTP Basic credentials, Sec-WebSocket-Key.
std::string base64_encode(std::string_view data);

// A password of `length` characters from an alphabet without look-alikes (0/O, 1/l/I).
std::string random_password(std::size_t length = 20);

// SHA-256 of `data`, lower-case hex. Session tokens are stored only in this form.
std::string sha256_hex(std::string_view data);

bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace deskgate::crypto
