// ASCII text helpers shared by the parsers of HTTP headers, cookies, configuration and the like.
#pragma once

#include <string>
#include <string_view>

namespace deskgate {

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

}  // namespace deskgate
