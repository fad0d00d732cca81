#include "package_checks.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <span>
#include <utility>

#include "package_text.h"

// Names (PEP 503), versions (PEP 440) and distribution filenames (PEP 427, sdists). The archive
// checks are in package_archive.cpp.
namespace aiops::webhook {
namespace {

using common::Error;
using common::ErrorCode;
using common::Result;

constexpr std::size_t kMaxQuotedBytes = 120;  // bytes of one quoted path or value

bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_separator(char c) { return c == '-' || c == '_' || c == '.'; }
char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

CheckOutcome pass(std::string check, std::string detail) {
    return {std::move(check), true, std::move(detail)};
}
CheckOutcome fail(std::string check, std::string detail) {
    return {std::move(check), false, std::move(detail)};
}

// ---- PEP 440

// A position in a version string; the eat_* calls consume input only when they match.
class VersionCursor {
public:
    explicit VersionCursor(std::string_view text) : text_(text) {}
    bool done() const { return pos_ == text_.size(); }
    std::string_view rest() const { return text_.substr(pos_); }
    std::size_t pos() const { return pos_; }
    void rewind(std::size_t pos) { pos_ = pos; }
    bool eat(char lower) { return eat_word(std::string_view(&lower, 1)); }
    bool eat_separator() {
        if (done() || !is_separator(text_[pos_])) {
            return false;
        }
        ++pos_;
        return true;
    }
    // `word` is lower case; the input matches in any case.
    bool eat_word(std::string_view word) {
        if (text_.size() - pos_ < word.size()) {
            return false;
        }
        for (std::size_t index = 0; index < word.size(); ++index) {
            if (to_lower(text_[pos_ + index]) != word[index]) {
                return false;
            }
        }
        pos_ += word.size();
        return true;
    }
    std::string_view digits() {
        const auto start = pos_;
        while (!done() && is_digit(text_[pos_])) {
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

// A number without leading zeros; "" (an omitted number) is 0.
std::string strip_zeros(std::string_view digits) {
    const auto first = digits.find_first_not_of('0');
    return first == std::string_view::npos ? "0" : std::string(digits.substr(first));
}

struct Label {
    std::string_view spelling;
    std::string_view canonical;
};
constexpr std::array<Label, 8> kPreLabels{{{"alpha", "a"},
                                           {"a", "a"},
                                           {"beta", "b"},
                                           {"b", "b"},
                                           {"preview", "rc"},
                                           {"pre", "rc"},
                                           {"rc", "rc"},
                                           {"c", "rc"}}};
constexpr std::array<Label, 3> kPostLabels{{{"post", ".post"}, {"rev", ".post"}, {"r", ".post"}}};
constexpr std::array<Label, 1> kDevLabels{{{"dev", ".dev"}}};

// `[-_.]? label [-_.]? N?` → the canonical label and N (0 when omitted).
std::optional<std::string> eat_labelled(VersionCursor& in, std::span<const Label> labels) {
    const auto start = in.pos();
    in.eat_separator();
    for (const auto& label : labels) {
        if (!in.eat_word(label.spelling)) {
            continue;
        }
        const auto after_label = in.pos();
        in.eat_separator();
        const auto number = in.digits();
        if (number.empty()) {
            in.rewind(after_label);
        }
        return std::string(label.canonical) + strip_zeros(number);
    }
    in.rewind(start);
    return std::nullopt;
}

// `-N` (an implicit post-release) or a labelled one.
std::optional<std::string> eat_post(VersionCursor& in) {
    const auto start = in.pos();
    if (in.eat('-')) {
        const auto number = in.digits();
        if (!number.empty()) {
            return ".post" + strip_zeros(number);
        }
        in.rewind(start);
    }
    return eat_labelled(in, kPostLabels);
}

// `N(.N)*` onto `out`; false when there is no first number.
bool eat_release(VersionCursor& in, std::string& out) {
    auto number = in.digits();
    if (number.empty()) {
        return false;
    }
    out += strip_zeros(number);
    for (auto mark = in.pos(); in.eat('.'); mark = in.pos()) {
        number = in.digits();
        if (number.empty()) {
            in.rewind(mark);  // the '.' belongs to what follows (".post1")
            break;
        }
        out.append(".").append(strip_zeros(number));
    }
    return true;
}

// The local label after '+': [a-z0-9]+ separated by single [-_.]; lower case, '.' separators,
// numeric segments without leading zeros.
std::optional<std::string> normalize_local(std::string_view local) {
    std::string out;
    std::size_t start = 0;
    for (;;) {
        auto end = start;
        while (end < local.size() && is_alnum(local[end])) {
            ++end;
        }
        const auto segment = local.substr(start, end - start);
        if (segment.empty()) {
            return std::nullopt;
        }
        const bool numeric = std::all_of(segment.begin(), segment.end(), is_digit);
        out += numeric ? strip_zeros(segment) : ascii_lowercase(segment);
        if (end == local.size()) {
            return out;
        }
        if (!is_separator(local[end])) {
            return std::nullopt;
        }
        out += '.';
        start = end + 1;
    }
}

// The optional epoch `N!`.
Result<std::uint64_t> eat_epoch(VersionCursor& in) {
    const auto start = in.pos();
    const auto digits = in.digits();
    if (digits.empty() || !in.eat('!')) {
        in.rewind(start);
        return std::uint64_t{0};
    }
    std::uint64_t epoch = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), epoch);
    if (error != std::errc{}) {
        return Error{ErrorCode::kInvalidInput, "epoch out of range"};
    }
    return epoch;
}

// ---- filenames

bool is_name_char(char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; }
bool is_tag_char(char c) { return is_alnum(c) || c == '.' || c == '_'; }

// PEP 508 names: letters, digits, '.', '_', '-', starting and ending with a letter or digit.
bool is_valid_name(std::string_view name) {
    return !name.empty() && is_alnum(name.front()) && is_alnum(name.back()) &&
           std::all_of(name.begin(), name.end(), is_name_char);
}

bool is_valid_tag(std::string_view tag) {
    return !tag.empty() && std::all_of(tag.begin(), tag.end(), is_tag_char);
}

// A version as written in a filename: PEP 440, without the whitespace parse_pep440 trims.
Result<Pep440Version> parse_filename_version(std::string_view text) {
    if (text.find(' ') != std::string_view::npos) {
        return Error{ErrorCode::kInvalidInput,
                     "version " + quote_untrusted(text) + " contains a space"};
    }
    return parse_pep440(text);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto end = text.find(separator, start);
        parts.push_back(text.substr(start, end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

Result<DistributionFile> parse_wheel_filename(std::string_view filename) {
    const auto invalid = [filename](const std::string& why) {
        return Error{ErrorCode::kInvalidInput,
                     "wheel filename " + quote_untrusted(filename) + ": " + why};
    };
    const auto parts = split(filename.substr(0, filename.size() - 4), '-');
    if (parts.size() != 5 && parts.size() != 6) {
        return invalid("expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl");
    }
    if (!is_valid_name(parts[0])) {
        return invalid("invalid name " + quote_untrusted(parts[0]));
    }
    if (auto version = parse_filename_version(parts[1]); !version) {
        return invalid(version.error().message);
    }
    const bool has_build = parts.size() == 6;
    if (has_build && (!is_valid_tag(parts[2]) || !is_digit(parts[2].front()))) {
        return invalid("build tag " + quote_untrusted(parts[2]) +
                       " must be a digit then [A-Za-z0-9._]");
    }
    const auto tags = std::span(parts).last(3);
    for (const auto tag : tags) {
        if (!is_valid_tag(tag)) {
            return invalid("invalid compatibility tag " + quote_untrusted(tag));
        }
    }
    return DistributionFile{.kind = "wheel",
                            .name = std::string(parts[0]),
                            .version = std::string(parts[1]),
                            .build = has_build ? std::string(parts[2]) : std::string(),
                            .python_tag = std::string(tags[0]),
                            .abi_tag = std::string(tags[1]),
                            .platform_tag = std::string(tags[2]),
                            .archive = "zip"};
}

Result<DistributionFile> parse_sdist_filename(std::string_view filename,
                                              std::string_view extension) {
    const auto stem = filename.substr(0, filename.size() - extension.size() - 1);
    for (auto dash = stem.rfind('-'); dash != std::string_view::npos && dash > 0;
         dash = stem.rfind('-', dash - 1)) {
        const auto version = stem.substr(dash + 1);
        if (!parse_filename_version(version)) {
            continue;
        }
        const auto name = stem.substr(0, dash);
        if (!is_valid_name(name)) {
            return Error{ErrorCode::kInvalidInput, "sdist filename " + quote_untrusted(filename) +
                                                       ": invalid name " + quote_untrusted(name)};
        }
        return DistributionFile{.kind = "sdist",
                                .name = std::string(name),
                                .version = std::string(version),
                                .archive = std::string(extension)};
    }
    return Error{ErrorCode::kInvalidInput, "sdist filename " + quote_untrusted(filename) +
                                               ": expected {name}-{version}." +
                                               std::string(extension) + " with a PEP 440 version"};
}

}  // namespace

std::string quote_untrusted(std::string_view text) {
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string out = "\"";
    for (const char c : text.substr(0, kMaxQuotedBytes)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += text.size() > kMaxQuotedBytes ? "...\"" : "\"";
    return out;
}

std::string ascii_lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

std::string_view trim_ascii_space(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n\f\v";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

bool same_pep440_version(std::string_view lhs, std::string_view rhs) {
    const auto left = parse_pep440(lhs);
    const auto right = parse_pep440(rhs);
    return left && right && left->normalized == right->normalized;
}

std::string normalize_project_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (const char c : name) {
        if (!is_separator(c)) {
            out += to_lower(c);
        } else if (out.empty() || out.back() != '-') {
            out += '-';
        }
    }
    return out;
}

Result<Pep440Version> parse_pep440(std::string_view version) {
    const auto invalid = [version](std::string_view why) {
        return Error{ErrorCode::kInvalidInput, "version " + quote_untrusted(version) +
                                                   " is not PEP 440: " + std::string(why)};
    };
    VersionCursor in(trim_ascii_space(version));
    in.eat('v');
    Pep440Version out;
    auto epoch = eat_epoch(in);
    if (!epoch) {
        return invalid(epoch.error().message);
    }
    out.epoch = *epoch;
    if (out.epoch != 0) {
        out.normalized = std::to_string(out.epoch) + "!";
    }
    if (!eat_release(in, out.normalized)) {
        return invalid("no release number");
    }
    if (auto pre = eat_labelled(in, kPreLabels)) {
        out.pre = true;
        out.normalized += *pre;
    }
    if (auto post = eat_post(in)) {
        out.post = true;
        out.normalized += *post;
    }
    if (auto dev = eat_labelled(in, kDevLabels)) {
        out.dev = true;
        out.normalized += *dev;
    }
    if (in.done()) {
        return out;
    }
    if (!in.eat('+')) {
        return invalid("unexpected " + quote_untrusted(in.rest()));
    }
    const auto local = normalize_local(in.rest());
    if (!local) {
        return invalid("local version " + quote_untrusted(in.rest()) +
                       " is not [a-z0-9]+ joined by [-_.]");
    }
    out.local = true;
    out.normalized.append("+").append(*local);
    return out;
}

Result<DistributionFile> parse_distribution_filename(std::string_view filename) {
    if (filename.empty()) {
        return Error{ErrorCode::kInvalidInput, "empty filename"};
    }
    if (filename.find_first_of("/\\") != std::string_view::npos) {
        return Error{ErrorCode::kInvalidInput,
                     "filename " + quote_untrusted(filename) + " contains a path separator"};
    }
    if (std::any_of(filename.begin(), filename.end(), is_control)) {
        return Error{ErrorCode::kInvalidInput,
                     "filename " + quote_untrusted(filename) + " contains a control character"};
    }
    if (filename.ends_with(".whl")) {
        return parse_wheel_filename(filename);
    }
    if (filename.ends_with(".tar.gz")) {
        return parse_sdist_filename(filename, "tar.gz");
    }
    if (filename.ends_with(".zip")) {
        return parse_sdist_filename(filename, "zip");
    }
    return Error{ErrorCode::kInvalidInput,
                 "filename " + quote_untrusted(filename) +
                     " is not a wheel (.whl) or an sdist (.tar.gz, .zip)"};
}

CheckOutcome check_filename(std::string_view filename, std::string_view project,
                            std::string_view version) {
    const auto dist = parse_distribution_filename(filename);
    if (!dist) {
        return fail("filename", dist.error().message);
    }
    const auto expected = parse_pep440(version);
    if (!expected) {
        return fail("filename", "expected " + expected.error().message);
    }
    const auto name = normalize_project_name(dist->name);
    if (name != normalize_project_name(project)) {
        return fail("filename", "name " + quote_untrusted(dist->name) + " is not project " +
                                    quote_untrusted(project));
    }
    const auto written = parse_pep440(dist->version);  // valid: the filename parsed
    if (!written || written->normalized != expected->normalized) {
        return fail("filename", "version " + quote_untrusted(dist->version) + " is not " +
                                    quote_untrusted(version));
    }
    return pass("filename", "ok: " + dist->kind + " " + name + " " + expected->normalized);
}

CheckOutcome check_version_policy(std::string_view version, const VersionPolicy& policy) {
    const auto parsed = parse_pep440(version);
    if (!parsed) {
        return fail("version_policy", parsed.error().message);
    }
    std::vector<std::string_view> refused;
    if (parsed->dev && !policy.allow_dev) {
        refused.emplace_back("a dev release");
    }
    if (parsed->local && !policy.allow_local) {
        refused.emplace_back("a local version");
    }
    if (parsed->pre && !policy.allow_pre) {
        refused.emplace_back("a pre-release");
    }
    if (parsed->post && !policy.allow_post) {
        refused.emplace_back("a post-release");
    }
    if (refused.empty()) {
        return pass("version_policy", "ok: " + parsed->normalized);
    }
    std::string detail = parsed->normalized + " is";
    for (std::size_t index = 0; index < refused.size(); ++index) {
        detail.append(index == 0 ? " " : ", ").append(refused[index]);
    }
    return fail("version_policy", detail.append(", which the policy refuses"));
}

}  // namespace aiops::webhook
