// Structured logging on spdlog: a message plus key=value fields, printed as text or as one JSON object
// per line (log.format). Callers pass only what is safe to log: never tokens, passwords or secrets.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace deskgate {
struct log_config;
}

namespace deskgate::log {

enum class level { debug, info, warn, error };

void setup(const log_config& cfg);

using field = std::pair<std::string_view, std::string_view>;
void event(level lvl, std::string_view message, std::initializer_list<field> fields = {});

inline void debug(std::string_view m, std::initializer_list<field> f = {}) { event(level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<field> f = {}) { event(level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<field> f = {}) { event(level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<field> f = {}) { event(level::error, m, f); }

// Renders one line the way event() prints it (without timestamp and level); exposed for tests.
std::string format_line(bool json, std::string_view message, std::initializer_list<field> fields);

}  // namespace deskgate::log
