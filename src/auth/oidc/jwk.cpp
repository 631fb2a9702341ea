#include "auth/oidc/jwk.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <stdexcept>

#include "core/crypto.hpp"

namespace deskgate::auth::oidc {
namespace {

constexpr int min_rsa_bits = 2048;
constexpr std::size_t p256_coordinate_bytes = 32;

template <class T, void (*Free)(T*)>
struct deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using bignum = std::unique_ptr<BIGNUM, deleter<BIGNUM, BN_free>>;
using param_builder = std::unique_ptr<OSSL_PARAM_BLD, deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using params = std::unique_ptr<OSSL_PARAM, deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using pkey_context = std::unique_ptr<EVP_PKEY_CTX, deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using digest_context = std::unique_ptr<EVP_MD_CTX, deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using ecdsa_signature = std::unique_ptr<ECDSA_SIG, deleter<ECDSA_SIG, ECDSA_SIG_free>>;

std::string member_bytes(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) throw std::invalid_argument(std::string("no \"") + name + "\" member");
  auto bytes = crypto::base64url_decode(it->get<std::string>());
  if (!bytes || bytes->empty()) throw std::invalid_argument(std::string("\"") + name + "\" is not base64url");
  return *bytes;
}

bignum to_bignum(std::string_view bytes) {
  bignum n(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
  if (!n) throw std::invalid_argument("out of memory");
  return n;
}

// Builds a public key of OpenSSL type `type` ("RSA", "EC") from the parameters `fill` pushes.
template <class Fill>
std::shared_ptr<EVP_PKEY> key_from_params(const char* type, Fill&& fill) {
  param_builder builder(OSSL_PARAM_BLD_new());
  if (!builder || !fill(builder.get())) throw std::invalid_argument("cannot build the key parameters");
  params p(OSSL_PARAM_BLD_to_param(builder.get()));
  pkey_context ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!p || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, p.get()) <= 0) {
    throw std::invalid_argument("OpenSSL does not accept the key");
  }
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  pkey_context check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) throw std::invalid_argument("the public key is not valid");
  return key;
}

std::shared_ptr<EVP_PKEY> rsa_key(const nlohmann::json& jwk) {
  auto n = to_bignum(member_bytes(jwk, "n"));
  auto e = to_bignum(member_bytes(jwk, "e"));
  if (BN_num_bits(n.get()) < min_rsa_bits) throw std::invalid_argument("the RSA key is shorter than 2048 bits");
  return key_from_params("RSA", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n.get()) &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e.get());
  });
}

std::shared_ptr<EVP_PKEY> p256_key(const nlohmann::json& jwk) {
  auto x = member_bytes(jwk, "x");
  auto y = member_bytes(jwk, "y");
  if (x.size() != p256_coordinate_bytes || y.size() != p256_coordinate_bytes) {
    throw std::invalid_argument("a P-256 coordinate is not 32 bytes");
  }
  std::string point = "\x04" + x + y;  // uncompressed point
  return key_from_params("EC", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  });
}

std::string string_member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// JWS ES256 signatures are r||s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> es256_to_der(std::string_view signature) {
  if (signature.size() != 2 * p256_coordinate_bytes) return std::nullopt;
  ecdsa_signature sig(ECDSA_SIG_new());
  auto r = to_bignum(signature.substr(0, p256_coordinate_bytes));
  auto s = to_bignum(signature.substr(p256_coordinate_bytes));
  if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  (void)r.release();  // owned by sig now
  (void)s.release();
  int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return std::nullopt;
  return der;
}

}  // namespace

bool is_supported_algorithm(std::string_view alg) noexcept { return alg == "RS256" || alg == "ES256"; }

std::optional<public_key> key_from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return std::nullopt;
  std::string use = string_member(jwk, "use");
  if (!use.empty() && use != "sig") return std::nullopt;
  std::string kty = string_member(jwk, "kty");
  std::string alg = string_member(jwk, "alg");
  public_key out{string_member(jwk, "kid"), "", nullptr};
  if (kty == "RSA" && (alg.empty() || alg == "RS256")) {
    out.alg = "RS256";
    out.key = rsa_key(jwk);
  } else if (kty == "EC" && string_member(jwk, "crv") == "P-256" && (alg.empty() || alg == "ES256")) {
    out.alg = "ES256";
    out.key = p256_key(jwk);
  } else {
    return std::nullopt;
  }
  return out;
}

std::vector<public_key> keys_from_jwks(const nlohmann::json& jwks) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    throw std::invalid_argument("the JWKS document has no \"keys\" array");
  }
  std::vector<public_key> keys;
  for (const auto& jwk : jwks["keys"]) {
    try {
      if (auto key = key_from_jwk(jwk)) keys.push_back(std::move(*key));
    } catch (const std::invalid_argument&) {
      // A broken key must not take the provider's other keys down with it.
    }
  }
  return keys;
}

bool verify_signature(std::string_view alg, const public_key& key, std::string_view signing_input,
                      std::string_view signature) {
  if (!is_supported_algorithm(alg) || key.alg != alg || !key.key) return false;
  std::string der;
  if (alg == "ES256") {
    auto converted = es256_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  digest_context ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
}

}  // namespace deskgate::auth::oidc
