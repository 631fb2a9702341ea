// Turns a request parsed by Beast into deskgate's own request type: path decoding, headers, and who is
// asking (trusted proxies). Included only by the server and the fuzz target, so Beast stays out of
// everything else.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <string>
#include <vector>

#include "config/cidr.hpp"
#include "http/message.hpp"

namespace deskgate::http {

struct converted_request {
  request req;
  bool valid_path = false;  // false: the target is not a percent-encoded absolute path (answer 400)
};

// `make_request_id` is called unless a trusted proxy supplied a plausible X-Request-Id.
converted_request from_beast(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                             const std::string& peer, const std::vector<cidr>& trusted_proxies,
                             const std::function<std::string()>& make_request_id);

}  // namespace deskgate::http
