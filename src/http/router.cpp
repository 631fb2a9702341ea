#include "http/router.hpp"

#include <algorithm>

namespace deskgate::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// Matches `path` against `pattern`, filling `params`. A trailing "{name*}" takes the remaining path.
bool match_pattern(std::string_view pattern, std::string_view path, route_params& params) {
  auto pat = split_path(pattern);
  auto got = split_path(path);
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (is_param(pat[i]) && pat[i].ends_with("*}")) {
      if (i + 1 != pat.size() || i > got.size()) return false;
      std::string rest;
      for (std::size_t j = i; j < got.size(); ++j) {
        if (j > i) rest += '/';
        rest += got[j];
      }
      params.add(std::string(pat[i].substr(1, pat[i].size() - 3)), std::move(rest));
      return true;
    }
    if (i >= got.size()) return false;
    if (is_param(pat[i])) {
      if (got[i].empty()) return false;
      params.add(std::string(pat[i].substr(1, pat[i].size() - 2)), std::string(got[i]));
    } else if (pat[i] != got[i]) {
      return false;
    }
  }
  return pat.size() == got.size();
}

}  // namespace

bool allows(access rule, const std::optional<principal>& who) {
  switch (rule) {
    case access::anyone: return true;
    case access::signed_in: return who.has_value();
    case access::teacher: return who && (who->user_role == role::teacher || who->user_role == role::admin);
    case access::admin: return who && who->user_role == role::admin;
  }
  return false;
}

std::string_view route_params::get(std::string_view name) const {
  for (const auto& [n, v] : values_) {
    if (n == name) return v;
  }
  return {};
}

void router::add(route r) { routes_.push_back(std::move(r)); }

router::match_result router::match(method verb, std::string_view path) const {
  match_result result;
  const route* head_fallback = nullptr;
  route_params head_params;
  for (const auto& r : routes_) {
    route_params params;
    if (!match_pattern(r.pattern, path, params)) continue;
    if (r.verb == verb) {
      result.matched = &r;
      result.params = std::move(params);
      result.allowed.clear();
      return result;
    }
    if (verb == method::head && r.verb == method::get && !head_fallback) {
      head_fallback = &r;
      head_params = std::move(params);
    }
    if (std::find(result.allowed.begin(), result.allowed.end(), r.verb) == result.allowed.end()) {
      result.allowed.push_back(r.verb);
    }
  }
  if (head_fallback) {
    result.matched = head_fallback;
    result.params = std::move(head_params);
    result.allowed.clear();
  }
  return result;
}

}  // namespace deskgate::http
