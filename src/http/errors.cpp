#include "http/errors.hpp"

#include <nlohmann/json.hpp>

namespace deskgate::http {

response error_response(errc code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code_name(code)}, {"message", message}}}};
  auto res = response::json(http_status(code), body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  res.headers.set("Cache-Control", "no-store");
  return res;
}

}  // namespace deskgate::http
