#include "redis_client.h"

#include <openssl/evp.h>
#include <sys/time.h>

#include <charconv>

namespace aiops::common {
namespace {

constexpr std::string_view kScheme = "redis://";

Result<int> parse_number(std::string_view text, std::string_view what) {
    int value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < 0) {
        return Error{ErrorCode::kInvalidInput, "redis url has a bad " + std::string(what)};
    }
    return value;
}

RedisValue copy_reply(const redisReply& reply) {
    RedisValue value;
    switch (reply.type) {
        case REDIS_REPLY_INTEGER:
            value.kind = RedisValue::Kind::kInteger;
            value.integer = reply.integer;
            break;
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            value.kind = RedisValue::Kind::kString;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ARRAY:
            value.kind = RedisValue::Kind::kArray;
            for (std::size_t index = 0; index < reply.elements; ++index) {
                value.elements.push_back(copy_reply(*reply.element[index]));
            }
            break;
        default: break;
    }
    return value;
}

Error reply_error(std::string_view message) {
    const auto starts = [&](std::string_view prefix) { return message.starts_with(prefix); };
    if (starts("NOAUTH") || starts("WRONGPASS") || starts("NOPERM")) {
        return Error{ErrorCode::kUnauthorized, "redis refused the credentials"};
    }
    if (starts("LOADING") || starts("BUSY") || starts("MASTERDOWN")) {
        return Error{ErrorCode::kUnavailable, "redis: " + std::string(message)};
    }
    if (starts("CONFLICT ")) {
        return Error{ErrorCode::kConflict, std::string(message.substr(9))};
    }
    if (starts("NOTFOUND ")) {
        return Error{ErrorCode::kNotFound, std::string(message.substr(9))};
    }
    return Error{ErrorCode::kInternal, "redis: " + std::string(message)};
}

timeval to_timeval(std::chrono::milliseconds timeout) {
    return timeval{.tv_sec = static_cast<time_t>(timeout.count() / 1000),
                   .tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
}

// Runs one command on `context`. Sets `broken` when the connection can no longer be used.
Result<RedisValue> run(redisContext* context, const std::vector<std::string>& args, bool& broken) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (raw == nullptr) {
        broken = true;
        return Error{ErrorCode::kUnavailable, std::string("redis: ") + context->errstr};
    }
    const std::unique_ptr<redisReply, void (*)(void*)> reply(raw, freeReplyObject);
    if (reply->type == REDIS_REPLY_ERROR) {
        return reply_error(std::string_view(reply->str, reply->len));
    }
    return copy_reply(*reply);
}

}  // namespace

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
    if (!url.starts_with(kScheme)) {
        return Error{ErrorCode::kInvalidInput, "redis url must start with redis://"};
    }
    std::string_view rest = url.substr(kScheme.size());
    RedisEndpoint endpoint;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const std::string_view credentials = rest.substr(0, at);
        const auto colon = credentials.find(':');
        endpoint.user = std::string(credentials.substr(0, colon));
        if (colon != std::string_view::npos) {
            endpoint.password = std::string(credentials.substr(colon + 1));
        }
        rest = rest.substr(at + 1);
    }
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        auto db = parse_number(rest.substr(slash + 1), "db number");
        if (!db) {
            return db.error();
        }
        endpoint.db = *db;
        rest = rest.substr(0, slash);
    }
    if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        auto port = parse_number(rest.substr(colon + 1), "port");
        if (!port || *port == 0 || *port > 65535) {
            return Error{ErrorCode::kInvalidInput, "redis url has a bad port"};
        }
        endpoint.port = *port;
        rest = rest.substr(0, colon);
    }
    if (rest.empty()) {
        return Error{ErrorCode::kInvalidInput, "redis url has no host"};
    }
    endpoint.host = std::string(rest);
    return endpoint;
}

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(source_.data(), source_.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
        return;  // sha1_ stays empty: eval() sends the source every time
    }
    constexpr std::string_view kHex = "0123456789abcdef";
    for (unsigned int index = 0; index < length; ++index) {
        sha1_ += kHex[digest[index] >> 4];
        sha1_ += kHex[digest[index] & 0x0f];
    }
}

Result<RedisClient::Context> RedisClient::connect() const {
    Context context(
        redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, to_timeval(timeout_)));
    const std::string where = endpoint_.host + ":" + std::to_string(endpoint_.port);
    if (!context) {
        return Error{ErrorCode::kUnavailable, "redis connect " + where + ": out of memory"};
    }
    if (context->err != 0) {
        return Error{ErrorCode::kUnavailable, "redis connect " + where + ": " + context->errstr};
    }
    if (redisSetTimeout(context.get(), to_timeval(timeout_)) != REDIS_OK) {
        return Error{ErrorCode::kUnavailable, "redis connect " + where + ": cannot set timeout"};
    }
    bool broken = false;
    if (!endpoint_.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!endpoint_.user.empty()) {
            auth.push_back(endpoint_.user);
        }
        auth.push_back(endpoint_.password);
        if (auto ok = run(context.get(), auth, broken); !ok) {
            return ok.error().code == ErrorCode::kUnavailable
                       ? ok.error()
                       : Error{ErrorCode::kUnauthorized, "redis refused the credentials"};
        }
    }
    if (endpoint_.db != 0) {
        if (auto ok = run(context.get(), {"SELECT", std::to_string(endpoint_.db)}, broken); !ok) {
            return ok.error();
        }
    }
    return context;
}

void RedisClient::release(Context context) {
    std::scoped_lock lock(mutex_);
    if (idle_.size() < pool_size_) {
        idle_.push_back(std::move(context));
    }
}

Result<RedisValue> RedisClient::command_once(const std::vector<std::string>& args, bool use_pool,
                                             bool& stale) {
    Context context;
    if (use_pool) {
        std::scoped_lock lock(mutex_);
        if (!idle_.empty()) {
            context = std::move(idle_.back());
            idle_.pop_back();
        }
    }
    const bool pooled = static_cast<bool>(context);
    if (!pooled) {
        auto fresh = connect();
        if (!fresh) {
            return fresh.error();
        }
        context = std::move(fresh).value();
    }
    bool broken = false;
    auto reply = run(context.get(), args, broken);
    if (broken) {
        // Probably the server restarted: the other idle connections are dead too.
        std::scoped_lock lock(mutex_);
        idle_.clear();
        stale = pooled;
        return reply;
    }
    release(std::move(context));
    return reply;
}

Result<RedisValue> RedisClient::command(const std::vector<std::string>& args) {
    bool stale = false;
    auto reply = command_once(args, true, stale);
    if (!reply && stale) {
        return command_once(args, false, stale);
    }
    return reply;
}

Result<RedisValue> RedisClient::eval(const RedisScript& script,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
    std::vector<std::string> argv{"EVALSHA", script.sha1(), std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    if (!script.sha1().empty()) {
        auto reply = command(argv);
        if (reply || !reply.error().message.starts_with("redis: NOSCRIPT")) {
            return reply;
        }
    }
    argv[0] = "EVAL";
    argv[1] = script.source();
    return command(argv);
}

}  // namespace aiops::common
