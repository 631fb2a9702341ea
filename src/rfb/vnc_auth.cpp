// Single DES through OpenSSL 3's default provider: plain DES lives only in the legacy provider, but
// triple DES (EDE) with the same 8-byte key three times encrypts, decrypts and encrypts again with one
// key, which is exactly single DES.
#include "rfb/vnc_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "core/error.hpp"

namespace deskgate::rfb {
namespace {

// d3des, which VNC servers use, reads key bits least significant first; standard DES reads them most
// significant first.
std::uint8_t reverse_bits(std::uint8_t b) {
  std::uint8_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r = static_cast<std::uint8_t>((r << 1) | (b & 1));
    b = static_cast<std::uint8_t>(b >> 1);
  }
  return r;
}

// Zeroes the key material when it goes out of scope.
struct des_key {
  std::array<std::uint8_t, 24> ede3{};
  ~des_key() { OPENSSL_cleanse(ede3.data(), ede3.size()); }
};

// Key bytes as VNC sees them (bit order reversed here) → the 24-byte EDE3 key.
void make_key(des_key& key, std::span<const std::uint8_t, 8> vnc_key) {
  for (std::size_t i = 0; i < 8; ++i) {
    std::uint8_t b = reverse_bits(vnc_key[i]);
    key.ede3[i] = b;
    key.ede3[i + 8] = b;
    key.ede3[i + 16] = b;
  }
}

struct ctx_deleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// ECB-encrypts `in` (a multiple of 8 bytes) into `out` of the same size.
void des_ecb_encrypt(const des_key& key, std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
  std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw error(errc::internal, "cannot allocate a cipher context");
  if (EVP_EncryptInit_ex(ctx.get(), EVP_des_ede3_ecb(), nullptr, key.ede3.data(), nullptr) != 1)
    throw error(errc::internal, "DES (as DES-EDE3) is not available in OpenSSL");
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  int written = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) != 1 ||
      static_cast<std::size_t>(written) != in.size())
    throw error(errc::internal, "DES encryption failed");
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &tail) != 1 || tail != 0)
    throw error(errc::internal, "DES encryption failed");
}

std::array<std::uint8_t, 8> password_block(std::string_view password) {
  std::array<std::uint8_t, 8> block{};
  for (std::size_t i = 0; i < block.size() && i < password.size(); ++i)
    block[i] = static_cast<std::uint8_t>(password[i]);
  return block;
}

// The fixed key of vncpasswd's obfuscation (in VNC bit order), shared by every VNC implementation.
constexpr std::array<std::uint8_t, 8> obfuscation_key = {23, 82, 107, 6, 35, 78, 88, 7};

}  // namespace

vnc_challenge vnc_auth_response(std::span<const std::uint8_t, vnc_challenge_size> challenge,
                                std::string_view password) {
  auto block = password_block(password);
  des_key key;
  make_key(key, block);
  OPENSSL_cleanse(block.data(), block.size());
  vnc_challenge response{};
  des_ecb_encrypt(key, challenge, response);
  return response;
}

std::array<std::uint8_t, 8> vnc_password_file_bytes(std::string_view password) {
  auto block = password_block(password);
  des_key key;
  make_key(key, obfuscation_key);
  std::array<std::uint8_t, 8> out{};
  des_ecb_encrypt(key, block, out);
  OPENSSL_cleanse(block.data(), block.size());
  return out;
}

}  // namespace deskgate::rfb
