#include "core/error.hpp"

namespace deskgate {
namespace {

struct errc_info {
  int status;
  std::string_view name;
};

errc_info info(errc e) noexcept {
  switch (e) {
    case errc::bad_request: return {400, "bad_request"};
    case errc::invalid_json: return {400, "invalid_json"};
    case errc::unsupported_media_type: return {415, "unsupported_media_type"};
    case errc::unauthenticated: return {401, "unauthenticated"};
    case errc::forbidden: return {403, "forbidden"};
    case errc::csrf_failed: return {403, "csrf_failed"};
    case errc::bad_origin: return {403, "bad_origin"};
    case errc::not_found: return {404, "not_found"};
    case errc::method_not_allowed: return {405, "method_not_allowed"};
    case errc::conflict: return {409, "conflict"};
    case errc::payload_too_large: return {413, "payload_too_large"};
    case errc::headers_too_large: return {431, "headers_too_large"};
    case errc::too_many_requests: return {429, "too_many_requests"};
    case errc::internal: return {500, "internal"};
    case errc::unavailable: return {503, "unavailable"};
    case errc::timeout: return {408, "timeout"};
    case errc::bad_gateway: return {502, "bad_gateway"};
    case errc::gateway_timeout: return {504, "gateway_timeout"};
  }
  return {500, "internal"};
}

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "deskgate"; }
  std::string message(int ev) const override { return std::string(info(static_cast<errc>(ev)).name); }
};

}  // namespace

const std::error_category& deskgate_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), deskgate_category()}; }

int http_status(errc e) noexcept { return info(e).status; }

std::string_view code_name(errc e) noexcept { return info(e).name; }

}  // namespace deskgate
