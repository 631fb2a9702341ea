// What a client may name in a file space: relative paths of plain UTF-8 names. Checked before anything
// touches the disk, so "..", absolute paths, NUL and control characters never reach a system call.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace deskgate::files {

// Limits of Linux file systems (NAME_MAX, PATH_MAX), in bytes of UTF-8.
inline constexpr std::size_t max_name_bytes = 255;
inline constexpr std::size_t max_path_bytes = 4095;

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

// Checks one file or folder name. Throws deskgate::error{bad_request} saying what is wrong: empty, "." or
// "..", a '/', a control character (C0, DEL, C1), not UTF-8, longer than max_name_bytes.
void check_name(std::string_view name);

// Splits a path relative to a space's root into checked names. "" means the root itself; one trailing
// '/' is allowed ("Docs/"). Throws deskgate::error{bad_request} for absolute paths, empty segments
// ("a//b") and every name check_name refuses.
std::vector<std::string> split_path(std::string_view path);

// The names joined with '/' (for messages and audit details).
std::string join_path(const std::vector<std::string>& names);

}  // namespace deskgate::files
