/**
 * The Lua scripts of the Redis store. Each touches the keys of one hash slot, so the store runs on
 * Redis Cluster, and each runs atomically: a script either applies all of its writes or none.
 *
 * A session is one string: a header of five fields, then the encoded record. The fields are the
 * version, the public session id, `=` and the user id (nothing for an anonymous session), the
 * expiry and the deadline in epoch ms, each ended by a line feed. No header field contains a line
 * feed, so the scripts find the version before the first one and the user field before the third.
 * `SET ... PX` writes the value and the key's TTL in one command, so no key is ever left without one.
 *
 * @since 0.1.0
 */
import * as Redis from "effect/persistence/Redis"

/**
 * Creates a session unless the key exists. Returns 1 when written and 0 on a collision.
 *
 * @since 0.1.0
 * @category scripts
 */
export const insert = Redis.script((key: string, value: string, ttlMs: number) => [key, value, ttlMs], {
  numberOfKeys: 1,
  lua: `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`
}).withReturnType<0 | 1>()

/**
 * Replaces a session if its stored version is one less than `version`, the version in the new
 * value's header. Returns 1 when written, 0 on a version conflict and -1 when the key does not
 * exist or its header has no version, which never recreates it.
 *
 * @since 0.1.0
 * @category scripts
 */
export const update = Redis.script(
  (key: string, version: number, value: string, ttlMs: number) => [key, version, value, ttlMs],
  {
    numberOfKeys: 1,
    lua: `
local current = redis.call('GET', KEYS[1])
local version = current and string.match(current, '^(%d+)\\n')
if not version then return -1 end
if tonumber(version) ~= tonumber(ARGV[1]) - 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`
  }
).withReturnType<-1 | 0 | 1>()

/**
 * Deletes a session. With a version (not the empty string), deletes only that version. Returns the
 * user field of the deleted session (empty for anonymous ones), 0 on a version conflict and -1 when
 * a versioned delete finds no key or no version in its header. An unversioned delete of a missing
 * key returns the empty string.
 *
 * @since 0.1.0
 * @category scripts
 */
export const remove = Redis.script((key: string, version: string) => [key, version], {
  numberOfKeys: 1,
  lua: `
local current = redis.call('GET', KEYS[1])
if ARGV[1] ~= '' then
  local stored = current and string.match(current, '^(%d+)\\n')
  if not stored then return -1 end
  if tonumber(stored) ~= tonumber(ARGV[1]) then return 0 end
end
if not current then return '' end
redis.call('DEL', KEYS[1])
return string.match(current, '^[^\\n]*\\n[^\\n]*\\n([^\\n]*)\\n') or ''`
}).withReturnType<string | number>()

/**
 * Adds a session key to a user's index, a sorted set scored by each session's deadline, and keeps
 * the index alive at least as long as its longest-lived member. Expired members are dropped.
 *
 * @since 0.1.0
 * @category scripts
 */
export const indexAdd = Redis.script(
  (indexKey: string, sessionKey: string, deadline: number, now: number, ttlMs: number) => [
    indexKey,
    deadline,
    sessionKey,
    now,
    ttlMs
  ],
  {
    numberOfKeys: 1,
    lua: `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1`
  }
).withReturnType<1>()

/**
 * Lists the members of a user's index after dropping those past their deadline.
 *
 * @since 0.1.0
 * @category scripts
 */
export const indexList = Redis.script((indexKey: string, now: number) => [indexKey, now], {
  numberOfKeys: 1,
  lua: `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)`
}).withReturnType<ReadonlyArray<string>>()
