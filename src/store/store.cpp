// What every store engine shares: role and desktop state names as stored and shown, and open_store(),
// which picks the engine from the URL scheme.
#include "store/store.hpp"

#include <array>
#include <filesystem>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace deskgate {
namespace {

constexpr std::array<std::pair<role, std::string_view>, 3> role_names = {{
    {role::student, "student"},
    {role::teacher, "teacher"},
    {role::admin, "admin"},
}};

constexpr std::array<std::pair<desktop_state, std::string_view>, 6> desktop_state_names = {{
    {desktop_state::creating, "creating"},
    {desktop_state::starting, "starting"},
    {desktop_state::running, "running"},
    {desktop_state::stopping, "stopping"},
    {desktop_state::stopped, "stopped"},
    {desktop_state::error, "error"},
}};

void create_parent_folder(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    throw error{errc::unavailable, "cannot create the database folder " + parent.string() + ": " + ec.message()};
  }
}

}  // namespace

std::string_view to_string(role r) {
  for (const auto& [value, name] : role_names) {
    if (value == r) return name;
  }
  throw error{errc::internal, "role out of range"};
}

std::optional<role> parse_role(std::string_view text) {
  for (const auto& [value, name] : role_names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(desktop_state s) {
  for (const auto& [value, name] : desktop_state_names) {
    if (value == s) return name;
  }
  throw error{errc::internal, "desktop state out of range"};
}

std::optional<desktop_state> parse_desktop_state(std::string_view text) {
  for (const auto& [value, name] : desktop_state_names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_active(desktop_state s) {
  switch (s) {
    case desktop_state::creating:
    case desktop_state::starting:
    case desktop_state::running:
    case desktop_state::stopping:
      return true;
    case desktop_state::stopped:
    case desktop_state::error:
      return false;
  }
  return false;
}

std::unique_ptr<store> open_store(std::string_view url, const clock& clk, int pool_size, int busy_timeout_ms) {
  constexpr std::string_view sqlite_scheme = "sqlite:";
  if (url.starts_with(sqlite_scheme)) {
    const std::string path(url.substr(sqlite_scheme.size()));
    if (path.empty()) {
      throw error{errc::unavailable, "store URL \"sqlite:\" names no database (use sqlite:PATH or sqlite::memory:)"};
    }
    if (path != ":memory:") create_parent_folder(path);
    return std::make_unique<sqlite_store>(path, clk, pool_size, busy_timeout_ms);
  }
  // Only the scheme is ever quoted back: the rest of a URL may carry a password.
  const std::string_view scheme = url.substr(0, url.find(':'));
  if (scheme == "postgresql" || scheme == "postgres") {
    throw error{errc::unavailable, "PostgreSQL support is not built yet; use a sqlite: store URL"};
  }
  if (scheme.size() == url.size()) {
    throw error{errc::unavailable, "store URL has no scheme (use sqlite:PATH or sqlite::memory:)"};
  }
  throw error{errc::unavailable,
              "unsupported store URL scheme \"" + std::string(scheme) + "\" (use sqlite:PATH or sqlite::memory:)"};
}

}  // namespace deskgate
