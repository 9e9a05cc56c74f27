/**
 * The Lua scripts of the Redis store. Each touches the keys of one hash slot, so the store runs on
 * Redis Cluster, and each runs atomically: a script either applies all of its writes or none.
 *
 * A session is a hash with the fields `v` (version), `s` (public session id), `u` (`=` and the user
 * id, empty for anonymous sessions), `e` (expiry, epoch ms), `l` (deadline, epoch ms) and `d` (the encoded
 * record). Every write sets the key's TTL in the same script, so no key is ever left without one.
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
export const insert = Redis.script(
  (key: string, fields: ReadonlyArray<string>, ttlMs: number) => [key, ...fields, ttlMs],
  {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2], 'u', ARGV[3], 'e', ARGV[4], 'l', ARGV[5], 'd', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1`
  }
).withReturnType<0 | 1>()

/**
 * Replaces a session if its stored version is one less than the new one. Returns 1 when written,
 * 0 on a version conflict and -1 when the key does not exist, which never recreates it.
 *
 * @since 0.1.0
 * @category scripts
 */
export const update = Redis.script(
  (key: string, fields: ReadonlyArray<string>, ttlMs: number) => [key, ...fields, ttlMs],
  {
    numberOfKeys: 1,
    lua: `
local current = redis.call('HGET', KEYS[1], 'v')
if not current then return -1 end
if tonumber(current) ~= tonumber(ARGV[1]) - 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2], 'u', ARGV[3], 'e', ARGV[4], 'l', ARGV[5], 'd', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1`
  }
).withReturnType<-1 | 0 | 1>()

/**
 * Deletes a session. With a version (not the empty string), deletes only that version. Returns the
 * `u` field of the deleted session (empty for anonymous ones), 0 on a version conflict and -1 when a
 * versioned delete finds no key. An unversioned delete of a missing key returns the empty string.
 *
 * @since 0.1.0
 * @category scripts
 */
export const remove = Redis.script((key: string, version: string) => [key, version], {
  numberOfKeys: 1,
  lua: `
local current = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] ~= '' then
  if not current then return -1 end
  if tonumber(current) ~= tonumber(ARGV[1]) then return 0 end
end
if not current then return '' end
local user = redis.call('HGET', KEYS[1], 'u')
redis.call('DEL', KEYS[1])
return user or ''`
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
