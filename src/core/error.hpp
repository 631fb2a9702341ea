// deskgate's one error vocabulary. Code anywhere throws `deskgate::error{errc::..., "message"}`; the HTTP
// layer turns it into a status and a JSON body in exactly one place (http::error_response).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace deskgate {

enum class errc {
  bad_request = 1,
  invalid_json,
  unsupported_media_type,
  unauthenticated,
  forbidden,
  csrf_failed,
  bad_origin,
  not_found,
  method_not_allowed,
  conflict,
  payload_too_large,
  headers_too_large,
  too_many_requests,
  internal,
  unavailable,
  timeout,
  bad_gateway,      // a desktop answered something unusable
  gateway_timeout,  // a desktop did not answer in time
};

const std::error_category& deskgate_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// The HTTP status for an error code, and the stable machine-readable name put in `error.code`.
int http_status(errc e) noexcept;
std::string_view code_name(errc e) noexcept;

class error : public std::runtime_error {
 public:
  error(errc code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

}  // namespace deskgate

template <>
struct std::is_error_code_enum<deskgate::errc> : std::true_type {};
