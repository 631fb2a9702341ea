// The one place where an error becomes an HTTP answer: status from deskgate::http_status, body
// {"error":{"code","message"}}.
#pragma once

#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace deskgate::http {

response error_response(errc code, std::string_view message);
inline response error_response(const deskgate::error& e) { return error_response(e.code(), e.what()); }

}  // namespace deskgate::http
