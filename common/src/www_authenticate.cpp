#include "aiops/common/www_authenticate.h"

namespace aiops::common {
namespace {

bool is_tchar(char character) {
    const bool alnum = (character >= 'a' && character <= 'z') ||
                       (character >= 'A' && character <= 'Z') ||
                       (character >= '0' && character <= '9');
    return alnum || std::string_view("!#$%&'*+-.^_`|~").find(character) != std::string_view::npos;
}

bool is_token68_char(char character) {
    const bool alnum = (character >= 'a' && character <= 'z') ||
                       (character >= 'A' && character <= 'Z') ||
                       (character >= '0' && character <= '9');
    return alnum || std::string_view("-._~+/").find(character) != std::string_view::npos;
}

std::string lower(std::string_view text) {
    std::string result(text);
    for (char& character : result) {
        if (character >= 'A' && character <= 'Z') {
            character = static_cast<char>(character - 'A' + 'a');
        }
    }
    return result;
}

Error malformed(std::string_view what) {
    return Error{ErrorCode::kInvalidInput, "malformed WWW-Authenticate: " + std::string(what)};
}

// Reads the header left to right; every method leaves `pos_` unchanged when it fails.
class Cursor {
public:
    explicit Cursor(std::string_view text) : text_(text) {}

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    std::size_t pos() const { return pos_; }
    void reset(std::size_t pos) { pos_ = pos; }
    void advance() { ++pos_; }

    bool skip_whitespace() {
        const std::size_t start = pos_;
        while (!at_end() && (peek() == ' ' || peek() == '\t')) {
            ++pos_;
        }
        return pos_ != start;
    }

    void skip_whitespace_and_commas() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == ',')) {
            ++pos_;
        }
    }

    std::string_view token() {
        const std::size_t start = pos_;
        while (!at_end() && is_tchar(peek())) {
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    std::optional<std::string_view> token68() {
        const std::size_t start = pos_;
        while (!at_end() && is_token68_char(peek())) {
            ++pos_;
        }
        if (pos_ == start) {
            return std::nullopt;
        }
        while (!at_end() && peek() == '=') {
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    // A quoted-string starting at `"`; backslash escapes the next character.
    Result<std::string> quoted_string() {
        const std::size_t start = pos_;
        std::string value;
        ++pos_;
        while (!at_end()) {
            const char character = text_[pos_++];
            if (character == '"') {
                return value;
            }
            if (character == '\\') {
                if (at_end()) {
                    break;
                }
                value.push_back(text_[pos_++]);
                continue;
            }
            value.push_back(character);
        }
        pos_ = start;
        return malformed("unterminated quoted string");
    }

    // At a list-element boundary: end of input, or (after whitespace) a comma.
    bool at_element_end() {
        const std::size_t start = pos_;
        skip_whitespace();
        if (at_end() || peek() == ',') {
            return true;
        }
        pos_ = start;
        return false;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

struct Param {
    std::string name;
    std::string value;
};

// `name BWS "=" BWS (token / quoted-string)`; nullopt (cursor unchanged) when the text there is
// not an auth-param; an error for an unterminated quoted string.
Result<std::optional<Param>> parse_param(Cursor& cursor) {
    const std::size_t start = cursor.pos();
    const std::string_view name = cursor.token();
    cursor.skip_whitespace();
    if (name.empty() || cursor.peek() != '=') {
        cursor.reset(start);
        return std::optional<Param>();
    }
    cursor.advance();
    cursor.skip_whitespace();
    if (cursor.peek() == '"') {
        auto value = cursor.quoted_string();
        if (!value) {
            return value.error();
        }
        return std::optional<Param>(Param{lower(name), std::move(value).value()});
    }
    const std::string_view value = cursor.token();
    if (value.empty()) {
        cursor.reset(start);
        return std::optional<Param>();
    }
    return std::optional<Param>(Param{lower(name), std::string(value)});
}

// Everything after the scheme: a token68 or auth-params, up to the next challenge's scheme.
Status parse_challenge_body(Cursor& cursor, AuthChallenge& challenge) {
    bool first = true;
    while (!cursor.at_end()) {
        if (!first || cursor.peek() == ',') {
            if (!cursor.at_element_end()) {
                return malformed("expected ',' between parameters");
            }
            cursor.skip_whitespace_and_commas();
            if (cursor.at_end()) {
                return {};
            }
        }
        auto param = parse_param(cursor);
        if (!param) {
            return param.error();
        }
        if (!param->has_value()) {
            if (!first || !challenge.params.empty()) {
                return {};  // not a parameter: the next challenge starts here
            }
            const std::size_t start = cursor.pos();
            const auto token68 = cursor.token68();
            if (!token68 || !cursor.at_element_end()) {
                cursor.reset(start);
                return {};
            }
            challenge.token68 = std::string(*token68);
        } else {
            challenge.params.emplace((*param)->name, std::move((*param)->value));
        }
        first = false;
    }
    return {};
}

}  // namespace

std::optional<std::string> AuthChallenge::param(std::string_view name) const {
    const auto found = params.find(std::string(name));
    if (found == params.end()) {
        return std::nullopt;
    }
    return found->second;
}

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
    if (header.size() > kMaxWwwAuthenticateBytes) {
        return malformed("header too long");
    }
    Cursor cursor(header);
    std::vector<AuthChallenge> challenges;
    cursor.skip_whitespace_and_commas();
    while (!cursor.at_end()) {
        const std::size_t start = cursor.pos();
        const std::string_view scheme = cursor.token();
        if (scheme.empty()) {
            return malformed("expected an auth scheme");
        }
        AuthChallenge challenge{.scheme = lower(scheme), .token68 = {}, .params = {}};
        const bool spaced = cursor.skip_whitespace();
        if (!cursor.at_end() && cursor.peek() != ',' && !spaced) {
            return malformed("unexpected character after scheme");
        }
        if (auto body = parse_challenge_body(cursor, challenge); !body) {
            return body.error();
        }
        challenges.push_back(std::move(challenge));
        cursor.skip_whitespace_and_commas();
        if (cursor.pos() == start) {
            return malformed("parser made no progress");
        }
    }
    if (challenges.empty()) {
        return malformed("no challenge");
    }
    return challenges;
}

std::optional<AuthChallenge> find_challenge(const std::vector<AuthChallenge>& challenges,
                                            std::string_view scheme) {
    const std::string wanted = lower(scheme);
    for (const auto& challenge : challenges) {
        if (challenge.scheme == wanted) {
            return challenge;
        }
    }
    return std::nullopt;
}

}  // namespace aiops::common
