// ASCII text helpers shared by the parsers of HTTP headers, cookies, configuration and the like.
#pragma once

#include <string>
#include <string_view>

namespace deskgate {

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);
// Without trailing '/' ("https://a.example/x/" -> "https://a.example/x"), to append a path to a URL.
std::string_view without_trailing_slashes(std::string_view url);

}  // namespace deskgate
