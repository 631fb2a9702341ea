#include "log/log.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "config/config.hpp"

namespace deskgate::log {
namespace {

std::atomic<bool> json_format{false};

spdlog::level::level_enum to_spdlog(level lvl) {
  switch (lvl) {
    case level::debug: return spdlog::level::debug;
    case level::info: return spdlog::level::info;
    case level::warn: return spdlog::level::warn;
    case level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// Values with spaces or quotes are quoted so a text line stays machine-splittable.
void append_text_value(std::string& out, std::string_view v) {
  bool plain = !v.empty() && v.find_first_of(" \"=\t\n\r") == std::string_view::npos;
  if (plain) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n' || c == '\r') {
      out += c == '\n' ? "\\n" : "\\r";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

void setup(const log_config& cfg) {
  json_format = cfg.format == "json";
  auto logger = spdlog::stderr_logger_mt("deskgate");
  spdlog::set_default_logger(logger);
  if (json_format) {
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(spdlog::level::from_str(cfg.level));
  spdlog::flush_on(spdlog::level::info);
}

std::string format_line(bool json, std::string_view message, std::initializer_list<field> fields) {
  if (json) {
    // The pattern supplies the surrounding braces, so this renders the members only.
    nlohmann::json obj = nlohmann::json::object();
    obj["msg"] = message;
    for (const auto& [k, v] : fields) obj[std::string(k)] = v;
    std::string dumped = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return dumped.substr(1, dumped.size() - 2);
  }
  std::string out(message);
  for (const auto& [k, v] : fields) {
    out.push_back(' ');
    out.append(k).push_back('=');
    append_text_value(out, v);
  }
  return out;
}

void event(level lvl, std::string_view message, std::initializer_list<field> fields) {
  auto spd = to_spdlog(lvl);
  if (!spdlog::should_log(spd)) return;
  spdlog::log(spd, "{}", format_line(json_format.load(), message, fields));
}

}  // namespace deskgate::log
