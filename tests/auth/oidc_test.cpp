// The OpenID Connect building blocks without a provider: JWKs to OpenSSL keys, JWS verification
// (RS256, ES256, and everything refused), the id_token claim checks, claim mapping with the three group
// shapes, roles, and the local-path rule for `next`. Keys and tokens are made here with OpenSSL.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>

#include "auth/oidc/claims.hpp"
#include "auth/oidc/id_token.hpp"
#include "auth/oidc/jwk.hpp"
#include "auth/oidc/login_error.hpp"
#include "auth/oidc/login_flow.hpp"
#include "core/crypto.hpp"

namespace deskgate::auth::oidc {
namespace {

using json = nlohmann::json;
constexpr std::int64_t now = 1'800'000'000;

std::string bn_param(EVP_PKEY* key, const char* name, std::size_t pad = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1) << name;
  std::size_t size = pad ? pad : static_cast<std::size_t>(BN_num_bytes(bn));
  std::string out(size, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  BN_free(bn);
  return out;
}

// A private key of the test and its public JWK.
struct signer {
  std::shared_ptr<EVP_PKEY> key;
  json jwk;
  std::string alg;

  static signer rsa(const std::string& kid, unsigned bits = 2048) {
    signer s{
        std::shared_ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)), EVP_PKEY_free),
        {},
        "RS256"};
    s.jwk = {{"kty", "RSA"},
             {"kid", kid},
             {"use", "sig"},
             {"n", crypto::base64url_encode(bn_param(s.key.get(), OSSL_PKEY_PARAM_RSA_N))},
             {"e", crypto::base64url_encode(bn_param(s.key.get(), OSSL_PKEY_PARAM_RSA_E))}};
    return s;
  }
  static signer ec(const std::string& kid) {
    signer s{std::shared_ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free), {}, "ES256"};
    s.jwk = {{"kty", "EC"},
             {"crv", "P-256"},
             {"kid", kid},
             {"x", crypto::base64url_encode(bn_param(s.key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
             {"y", crypto::base64url_encode(bn_param(s.key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
    return s;
  }

  std::string raw_signature(const std::string& input) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get());
    std::size_t length = 0;
    EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string sig(length, '\0');
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &length,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(length);
    if (alg != "ES256") return sig;
    // DER → r||s, as JWS wants it.
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string out(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(parsed), reinterpret_cast<unsigned char*>(out.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(parsed), reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
    ECDSA_SIG_free(parsed);
    return out;
  }

  std::string sign(const json& payload, std::string header_alg = "") const {
    json header = {{"alg", header_alg.empty() ? alg : header_alg}, {"kid", jwk["kid"]}, {"typ", "JWT"}};
    std::string input = crypto::base64url_encode(header.dump()) + "." + crypto::base64url_encode(payload.dump());
    return input + "." + crypto::base64url_encode(raw_signature(input));
  }
};

json good_claims() {
  return {{"iss", "https://idp.example"},
          {"aud", "deskgate"},
          {"sub", "u1"},
          {"exp", now + 300},
          {"iat", now - 5},
          {"nonce", "n-123"}};
}

id_token_checks checks() {
  return {.issuer = "https://idp.example", .client_id = "deskgate", .nonce = "n-123", .now = now};
}

// Verifies with `keys` as the provider's JWKS; returns the failure detail, or "" when accepted.
std::string verify_with(const std::vector<public_key>& keys, const std::string& token,
                        const id_token_checks& c = checks()) {
  key_lookup find = [&](const std::string& kid, const std::string& alg) -> const public_key* {
    for (const auto& k : keys) {
      if (k.kid == kid && k.alg == alg) return &k;
    }
    return nullptr;
  };
  try {
    verify_id_token(token, find, c);
    return "";
  } catch (const login_error& e) {
    EXPECT_EQ(e.reason(), failure::token_invalid);
    return e.what();
  }
}

TEST(OidcJwk, Rs256AndEs256TokensVerify) {
  auto rsa = signer::rsa("r1");
  auto ec = signer::ec("e1");
  auto keys = keys_from_jwks({{"keys", {rsa.jwk, ec.jwk}}});
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(verify_with(keys, rsa.sign(good_claims())), "");
  EXPECT_EQ(verify_with(keys, ec.sign(good_claims())), "");
}

TEST(OidcJwk, UnusableKeysAreSkippedNotFatal) {
  auto rsa = signer::rsa("r1");
  auto small = signer::rsa("small", 1024);
  json bad_point = signer::ec("bad").jwk;
  bad_point["y"] = bad_point["x"];  // almost surely not on the curve
  json keys = {{"keys",
                {rsa.jwk,
                 small.jwk,
                 bad_point,
                 {{"kty", "oct"}, {"k", "c2VjcmV0"}},
                 {{"kty", "RSA"}, {"use", "enc"}, {"n", rsa.jwk["n"]}, {"e", rsa.jwk["e"]}},
                 {{"kty", "RSA"}, {"n", "!!"}}}}};
  auto parsed = keys_from_jwks(keys);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].kid, "r1");
  EXPECT_THROW(key_from_jwk(small.jwk), std::invalid_argument);
  EXPECT_THROW(keys_from_jwks(json::object()), std::invalid_argument);
}

TEST(OidcJwk, WrongKeysAndAlgorithmsAreRefused) {
  auto rsa = signer::rsa("r1");
  auto other = signer::rsa("r1");  // same kid, another key
  auto ec = signer::ec("e1");
  auto keys = keys_from_jwks({{"keys", {rsa.jwk, ec.jwk}}});
  EXPECT_NE(verify_with(keys, other.sign(good_claims())).find("signature is wrong"), std::string::npos);
  // An RSA key cannot verify an ES256 token or the other way round, whatever the header says.
  auto claims = crypto::base64url_encode(good_claims().dump());
  auto header = [](const json& h) { return crypto::base64url_encode(h.dump()); };
  std::string none = header({{"alg", "none"}, {"kid", "r1"}}) + "." + claims + ".";
  EXPECT_NE(verify_with(keys, none).find("\"none\" is not accepted"), std::string::npos);
  std::string hs = header({{"alg", "HS256"}, {"kid", "r1"}}) + "." + claims + ".c2ln";
  EXPECT_NE(verify_with(keys, hs).find("HS256"), std::string::npos);
  auto swapped = ec.sign(good_claims());
  swapped = header({{"alg", "ES256"}, {"kid", "r1"}}) + swapped.substr(swapped.find('.'));
  EXPECT_NE(verify_with(keys, swapped).find("no ES256 key \"r1\""), std::string::npos);
  EXPECT_NE(verify_with(keys, "a.b").find("compact JWS"), std::string::npos);
  EXPECT_NE(verify_with(keys, "a.b.c.d").find("compact JWS"), std::string::npos);
  EXPECT_NE(verify_with(keys, "!!.e30.").find("base64url"), std::string::npos);
  // A tampered payload under a valid signature.
  auto token = rsa.sign(good_claims());
  auto tampered_claims = good_claims();
  tampered_claims["sub"] = "admin";
  auto dot = token.find('.');
  std::string tampered =
      token.substr(0, dot + 1) + crypto::base64url_encode(tampered_claims.dump()) + token.substr(token.rfind('.'));
  EXPECT_NE(verify_with(keys, tampered).find("signature is wrong"), std::string::npos);
}

TEST(OidcIdToken, ClaimChecks) {
  auto rsa = signer::rsa("r1");
  auto keys = keys_from_jwks({{"keys", {rsa.jwk}}});
  auto with = [&](const char* name, const json& value) {
    auto c = good_claims();
    if (value.is_null()) {
      c.erase(name);
    } else {
      c[name] = value;
    }
    return verify_with(keys, rsa.sign(c));
  };
  EXPECT_NE(with("iss", "https://evil.example").find("\"iss\""), std::string::npos);
  EXPECT_NE(with("aud", "other").find("\"aud\""), std::string::npos);
  EXPECT_NE(with("aud", json::array({"other", "more"})).find("\"aud\""), std::string::npos);
  EXPECT_EQ(with("exp", now - 30), "");  // within the skew
  EXPECT_NE(with("exp", now - 61).find("expired"), std::string::npos);
  EXPECT_NE(with("exp", nullptr).find("\"exp\""), std::string::npos);
  EXPECT_NE(with("iat", now + 120).find("future"), std::string::npos);
  EXPECT_NE(with("nonce", "n-124").find("nonce"), std::string::npos);
  EXPECT_NE(with("nonce", nullptr).find("nonce"), std::string::npos);
  EXPECT_NE(with("sub", nullptr).find("sub"), std::string::npos);
  // Several audiences: azp must name deskgate.
  auto several = good_claims();
  several["aud"] = {"deskgate", "other"};
  EXPECT_NE(verify_with(keys, rsa.sign(several)).find("azp"), std::string::npos);
  several["azp"] = "deskgate";
  EXPECT_EQ(verify_with(keys, rsa.sign(several)), "");
}

TEST(OidcClaims, GroupsInEveryShape) {
  EXPECT_EQ(parse_groups(json::array({"teachers", "7a", "teachers", ""})),
            (std::vector<external_group>{{"teachers", "teachers"}, {"7a", "7a"}}));
  EXPECT_EQ(
      parse_groups(json::parse(R"([{"id": "admins", "name": "Administrators"}, {"name": "Only name"}, {"x": 1}])")),
      (std::vector<external_group>{{"admins", "Administrators"}, {"Only name", "Only name"}}));
  EXPECT_EQ(parse_groups(json::parse(R"({"17": {"act": "lehrer", "name": "Lehrer"}, "23": {"act": "klasse-8b"}})")),
            (std::vector<external_group>{{"lehrer", "Lehrer"}, {"klasse-8b", "klasse-8b"}}));
  EXPECT_EQ(parse_groups(json::parse(R"({"g1": "Group one"})")), (std::vector<external_group>{{"g1", "Group one"}}));
  EXPECT_TRUE(parse_groups("admins").empty());
  EXPECT_TRUE(parse_groups(nullptr).empty());
}

TEST(OidcClaims, IdentityAndRoles) {
  claim_names iserv{.user_id = "uuid"};
  auto id = map_identity(json::parse(R"({"sub": "max", "uuid": "u-1", "preferred_username": "max.muster",
                                         "name": "Max Muster", "email": "m@x", "groups": ["lehrer"]})"),
                         iserv);
  EXPECT_EQ(id.subject, "u-1");
  EXPECT_EQ(id.username, "max.muster");
  EXPECT_EQ(id.display_name, "Max Muster");
  EXPECT_EQ(id.email, "m@x");
  auto expect_failure = [&](const json& claims) {
    try {
      map_identity(claims, iserv);
      ADD_FAILURE() << claims.dump();
    } catch (const login_error& e) {
      EXPECT_EQ(e.reason(), failure::claims_invalid);
    }
  };
  expect_failure(json::parse(R"({"sub": "max", "preferred_username": "max"})"));        // no uuid
  expect_failure(json::parse(R"({"uuid": "u", "preferred_username": "max muster"})"));  // not a username
  expect_failure(json::parse(R"({"uuid": "u"})"));
  EXPECT_FALSE(has_identity_claims(json::parse(R"({"uuid": "u", "preferred_username": "m"})"), iserv));
  EXPECT_TRUE(has_identity_claims(json::parse(R"({"uuid": "u", "preferred_username": "m", "groups": []})"), iserv));

  std::vector<std::string> admins = {"admins"}, teachers = {"teachers", "lehrer"};
  EXPECT_EQ(role_for({{"lehrer", "Lehrer"}, {"admins", "A"}}, admins, teachers), role::admin);
  EXPECT_EQ(role_for({{"lehrer", "Lehrer"}}, admins, teachers), role::teacher);
  EXPECT_EQ(role_for({{"Lehrer", "lehrer"}}, admins, teachers), role::student);  // by id, not by name
  EXPECT_EQ(role_for({}, admins, teachers), role::student);
}

TEST(OidcNext, OnlyLocalPaths) {
  EXPECT_EQ(safe_next_path("/desktops/x?y=1#z"), "/desktops/x?y=1#z");
  EXPECT_EQ(safe_next_path("/"), "/");
  for (const char* bad : {"", "//evil.example", "/\\evil.example", "https://evil.example", "http:/x", "evil",
                          "javascript:alert(1)", "/a\r\nSet-Cookie: x=1", " /x"}) {
    EXPECT_EQ(safe_next_path(bad), "/") << bad;
  }
}

TEST(OidcErrors, EveryFailureHasACodeAndAMessage) {
  for (auto f : all_failures) {
    EXPECT_TRUE(code_of(f).starts_with("oidc_"));
    EXPECT_FALSE(message_of(f).empty());
  }
}

TEST(Base64url, RoundTripAndRefusals) {
  EXPECT_EQ(crypto::base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(crypto::base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(crypto::base64url_decode(""), std::string());
  EXPECT_FALSE(crypto::base64url_decode("-_8=").has_value());
  EXPECT_FALSE(crypto::base64url_decode("+/8").has_value());
  EXPECT_FALSE(crypto::base64url_decode("a").has_value());
  EXPECT_EQ(crypto::base64_encode("ab?"), "YWI/");
}

}  // namespace
}  // namespace deskgate::auth::oidc
