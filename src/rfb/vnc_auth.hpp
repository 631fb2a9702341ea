// VNC authentication (RFB security type 2) and TigerVNC's password file format. Both are single DES
// with the key's bits reversed in every byte (the quirk of the original d3des code every VNC server
// inherited). Only the first 8 bytes of a password count; shorter ones are padded with zeros.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace deskgate::rfb {

inline constexpr std::size_t vnc_challenge_size = 16;
using vnc_challenge = std::array<std::uint8_t, vnc_challenge_size>;

// The 16 bytes a client sends back for the server's challenge: the challenge DES-encrypted (two
// 8-byte blocks, ECB) with the password as the key.
vnc_challenge vnc_auth_response(std::span<const std::uint8_t, vnc_challenge_size> challenge, std::string_view password);

// The 8 bytes `vncpasswd -f` writes for `password` (what Xvnc's -PasswordFile reads): the password
// encrypted with the fixed key every VNC implementation shares. Obfuscation, not protection: the file
// must stay readable only by the desktop's account.
std::array<std::uint8_t, 8> vnc_password_file_bytes(std::string_view password);

}  // namespace deskgate::rfb
