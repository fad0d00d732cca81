#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aiops/common/result.h"

// hiredis (0.14, synchronous API) behind a small connection pool guarded by one mutex.
namespace aiops::common {

// redis://[[user]:password@]host[:port][/db]
struct RedisEndpoint {
    std::string host;
    int port = 6379;
    int db = 0;
    std::string user;
    std::string password;  // never logged, never in an Error message
};
Result<RedisEndpoint> parse_redis_url(std::string_view url);

// A reply, copied out of hiredis. Status replies become kString.
struct RedisValue {
    enum class Kind { kNil, kInteger, kString, kArray };
    Kind kind = Kind::kNil;
    long long integer = 0;
    std::string text;
    std::vector<RedisValue> elements;
};

// A Lua script run with EVALSHA, falling back to EVAL when the server does not have it cached.
class RedisScript {
public:
    explicit RedisScript(std::string source);
    const std::string& source() const { return source_; }
    const std::string& sha1() const { return sha1_; }  // empty if hashing failed: always EVAL

private:
    std::string source_;
    std::string sha1_;
};

class RedisClient {
public:
    RedisClient(RedisEndpoint endpoint, std::size_t pool_size, std::chrono::milliseconds timeout)
        : endpoint_(std::move(endpoint)), pool_size_(pool_size), timeout_(timeout) {}

    // Error replies map to: NOAUTH/WRONGPASS → kUnauthorized, LOADING/BUSY → kUnavailable,
    // "CONFLICT …" → kConflict, "NOTFOUND …" → kNotFound (raised by our scripts), else kInternal.
    // A broken connection is dropped (kUnavailable); a stale pooled one is retried once fresh.
    Result<RedisValue> command(const std::vector<std::string>& args);
    Result<RedisValue> eval(const RedisScript& script, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args);

private:
    struct FreeContext {
        void operator()(redisContext* context) const { redisFree(context); }
    };
    using Context = std::unique_ptr<redisContext, FreeContext>;

    Result<Context> connect() const;
    // use_pool false: always a fresh connection. stale: a pooled connection turned out dead.
    Result<RedisValue> command_once(const std::vector<std::string>& args, bool use_pool,
                                    bool& stale);
    void release(Context context);

    const RedisEndpoint endpoint_;
    const std::size_t pool_size_;
    const std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::vector<Context> idle_;  // guarded by mutex_
};

}  // namespace aiops::common
