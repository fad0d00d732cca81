#pragma once

// Lua scripts of RedisStore; each runs atomically on the server (EVALSHA).
// Layout under the key prefix P:
//   P doc:<collection>   HASH id → "<version> <json>"      P ids:<collection>  ZSET of ids (score
//   0) P set:<name>         SET of members P job:<id>           HASH queue, key, payload, attempt,
//   error, enqueued (ms) P job:seq            job id counter (never reused) P q:<queue>:ready ZSET
//   id → ms when available      P q:<queue>:leased  ZSET id → lease expiry P q:<queue>:dead ZSET id
//   → ms when dead-lettered P q:<queue>:dedup    HASH idempotency key → job id    P
//   q:<queue>:dedupexp ZSET key → expiry ms
namespace aiops::common::redis_scripts {

// KEYS: doc hash, ids zset. ARGV: id, body, mode (put|create|cas), expected version.
constexpr const char* kWrite = R"lua(
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local version = 0
if stored then version = tonumber(string.match(stored, '^(%d+)')) end
if ARGV[3] == 'create' and version > 0 then
  return redis.error_reply('CONFLICT document already exists')
end
if ARGV[3] == 'cas' and version ~= tonumber(ARGV[4]) then
  if version == 0 then return redis.error_reply('NOTFOUND document not found') end
  return redis.error_reply('CONFLICT document version is ' .. version .. ', expected ' .. ARGV[4])
end
version = version + 1
redis.call('HSET', KEYS[1], ARGV[1], version .. ' ' .. ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return version
)lua";

// KEYS: doc hash, ids zset. ARGV: id. Returns 1 when erased, 0 when absent.
constexpr const char* kErase = R"lua(
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
)lua";

// KEYS: doc hash, ids zset. ARGV: after id ('' = from the start), limit. Returns id, stored, ...
constexpr const char* kScan = R"lua(
local start = '-'
if ARGV[1] ~= '' then start = '(' .. ARGV[1] end
local ids = redis.call('ZRANGEBYLEX', KEYS[2], start, '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local stored = redis.call('HGET', KEYS[1], id)
  if stored then
    out[#out + 1] = id
    out[#out + 1] = stored
  end
end
return out
)lua";

// KEYS: ready, leased, dead, dedup, dedupexp, seq. ARGV: job prefix, key, payload, now, window ms,
// queue. Returns {job id, 1 if created else 0}.
constexpr const char* kEnqueue = R"lua(
local now = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local existing = redis.call('HGET', KEYS[4], ARGV[2])
if existing then
  local expires = tonumber(redis.call('ZSCORE', KEYS[5], ARGV[2]) or '0')
  if expires > now or redis.call('EXISTS', ARGV[1] .. existing) == 1 then
    return {existing, 0}
  end
end
local id = tostring(redis.call('INCR', KEYS[6]))
redis.call('HSET', ARGV[1] .. id, 'queue', ARGV[6], 'key', ARGV[2], 'payload', ARGV[3],
           'attempt', '0', 'error', '', 'enqueued', ARGV[4])
redis.call('ZADD', KEYS[1], now, id)
redis.call('HSET', KEYS[4], ARGV[2], id)
redis.call('ZADD', KEYS[5], now + window, ARGV[2])
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, 20)) do
  local job = redis.call('HGET', KEYS[4], key)
  if job and redis.call('EXISTS', ARGV[1] .. job) == 1 then
    redis.call('ZADD', KEYS[5], now + window, key)
  else
    redis.call('HDEL', KEYS[4], key)
    redis.call('ZREM', KEYS[5], key)
  end
end
return {id, 1}
)lua";

// KEYS: ready, leased, dead. ARGV: job prefix, now, visibility ms, max attempts.
// Returns false or {id, key, payload, attempt, error, enqueued}.
constexpr const char* kLease = R"lua(
local now = tonumber(ARGV[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  redis.call('ZREM', KEYS[2], id)
  local job = ARGV[1] .. id
  if tonumber(redis.call('HGET', job, 'attempt') or '0') >= tonumber(ARGV[4]) then
    redis.call('HSET', job, 'error', 'lease expired')
    redis.call('ZADD', KEYS[3], now, id)
  else
    redis.call('ZADD', KEYS[1], now, id)
  end
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
if #ids == 0 then return false end
local id = ids[1]
local job = ARGV[1] .. id
redis.call('ZREM', KEYS[1], id)
local attempt = redis.call('HINCRBY', job, 'attempt', 1)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), id)
local f = redis.call('HMGET', job, 'key', 'payload', 'error', 'enqueued')
return {id, f[1], f[2], attempt, f[3], f[4]}
)lua";

// KEYS: ready, leased, dead. ARGV: job prefix, id, attempt, succeeded (1|0), error, now, delay ms,
// max attempts.
constexpr const char* kFinish = R"lua(
local job = ARGV[1] .. ARGV[2]
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) or redis.call('HGET', job, 'attempt') ~= ARGV[3] then
  return redis.error_reply('CONFLICT job lease was lost (expired and leased again)')
end
redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[4] == '1' then
  redis.call('DEL', job)
  return 1
end
redis.call('HSET', job, 'error', ARGV[5])
local now = tonumber(ARGV[6])
if tonumber(ARGV[3]) >= tonumber(ARGV[8]) then
  redis.call('ZADD', KEYS[3], now, ARGV[2])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[7]), ARGV[2])
end
return 1
)lua";

// KEYS: dead. ARGV: job prefix, limit. Returns {{id, key, payload, attempt, error, enqueued}...}.
constexpr const char* kListDead = R"lua(
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  local f = redis.call('HMGET', ARGV[1] .. id, 'key', 'payload', 'attempt', 'error', 'enqueued')
  out[#out + 1] = {id, f[1], f[2], f[3], f[4], f[5]}
end
return out
)lua";

// KEYS: ready, dead. ARGV: job prefix, id, now.
constexpr const char* kRequeueDead = R"lua(
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then
  return redis.error_reply('NOTFOUND dead job not found')
end
redis.call('HSET', ARGV[1] .. ARGV[2], 'attempt', '0')
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return 1
)lua";

// KEYS: dead. ARGV: job prefix, id.
constexpr const char* kDiscardDead = R"lua(
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then
  return redis.error_reply('NOTFOUND dead job not found')
end
redis.call('DEL', ARGV[1] .. ARGV[2])
return 1
)lua";

// KEYS: ready, leased, dead. ARGV: now. Returns {ready, delayed, leased, dead}.
constexpr const char* kStats = R"lua(
local now = ARGV[1]
local ready = redis.call('ZCOUNT', KEYS[1], '-inf', now) + redis.call('ZCOUNT', KEYS[2], '-inf', now)
return {ready, redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'),
        redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf'), redis.call('ZCARD', KEYS[3])}
)lua";

}  // namespace aiops::common::redis_scripts
