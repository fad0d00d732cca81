#pragma once

#include <string>
#include <string_view>

// Internal to webhook_handler_lib: the text helpers package_checks.cpp (names, versions,
// filenames) and package_archive.cpp (the archive checks) share.
namespace aiops::webhook {

// `text` in double quotes, for a check's detail or an error message: bytes outside printable
// ASCII, '"' and '\' as \xNN, cut after 120 bytes.
std::string quote_untrusted(std::string_view text);
std::string ascii_lowercase(std::string_view text);
std::string_view trim_ascii_space(std::string_view text);
// Both are PEP 440 versions with the same normalized form.
bool same_pep440_version(std::string_view lhs, std::string_view rhs);

}  // namespace aiops::webhook
