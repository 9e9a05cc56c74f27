/**
 * The Redis session store, on Effect's `Redis` client port (`effect/persistence/Redis`). A session
 * is one string, read with one `GET`. Every session write is one atomic Lua script that checks the
 * version, writes the record and sets its TTL together. `internal/layout.ts`, `scripts.ts` and
 * docs/redis.md describe the key layout.
 *
 * TTL is clean-up only: the core decides expiry from the timestamps inside the record, and the
 * TTL is computed from the Effect `Clock`, relative (`PX`), so clock skew between app
 * servers and Redis does not matter.
 *
 * Over this package's bindings, which provide `RedisClient.CallTimeout`, every store call ends
 * within the binding's `commandTimeoutMs`. The store reports this to the session service through
 * `enforcesTimeout`, so the policy's `storeTimeout` does not apply. Over another `Redis`
 * layer, the session service puts `storeTimeout` on every call as usual.
 *
 * @since 0.1.0
 */
import { SessionStore, StoreError, type StoredSession } from "@seshat/core/SessionStore"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redis from "effect/persistence/Redis"
import * as Layout from "./internal/layout.js"
import { CallTimeout } from "./RedisClient.js"
import * as Scripts from "./scripts.js"

/**
 * Options of the Redis store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Prefix of every key, so several apps can share one Redis. Default `seshat:`. */
  readonly prefix?: string | undefined
}

// The cause is a plain `Error` whose message states why the call failed, such as "timed out after
// 2000 ms", because the session service logs that message. This package's bindings give one; the
// cause from another binding is wrapped in one.
const unavailable = (error: Redis.RedisError) => {
  const cause = error.cause
  const plain =
    cause instanceof Error && Object.getPrototypeOf(cause) === Error.prototype
      ? cause
      : new Error(cause instanceof Error ? cause.message : String(cause), { cause })
  return new StoreError({ reason: "Unavailable", cause: plain })
}

/**
 * Key of a session. The hash tag `{...}` is the store key itself, so a session's scripts run on
 * the node that owns its slot.
 *
 * @since 0.1.0
 * @category keys
 */
export const sessionKey = (prefix: string, key: string): string => `${prefix}s:{${key}}`

/**
 * Key of a user's index. Its hash tag is the user id, so a user's index lives on one node.
 *
 * @since 0.1.0
 * @category keys
 */
export const indexKey = (prefix: string, userId: string): string => `${prefix}u:{${userId}}`

/**
 * Builds the store over a `Redis` service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function* (options: Options = {}) {
  const redis = yield* Redis.Redis
  const callTimeout = yield* Effect.serviceOption(CallTimeout)
  // A call of more than one command (a script that must be loaded first, or a session write with
  // its index write) gets one deadline for all of them. `get` sends one command, which has its own.
  const within = Option.isSome(callTimeout)
    ? callTimeout.value.within
    : <A, E, R>(effect: Effect.Effect<A, E, R>) => effect
  const prefix = options.prefix ?? "seshat:"
  const insertScript = redis.eval(Scripts.insert)
  const updateScript = redis.eval(Scripts.update)
  const removeScript = redis.eval(Scripts.remove)
  const indexAddScript = redis.eval(Scripts.indexAdd)
  const indexListScript = redis.eval(Scripts.indexList)

  // A TTL must be positive: a record already past its expiry gets one millisecond, which Redis
  // then removes at once.
  const ttlUntil = (at: number, now: number) => Math.max(1, Math.ceil(at - now))

  const get = (key: string) =>
    redis.send<unknown>("GET", sessionKey(prefix, key)).pipe(
      Effect.map((reply) => Layout.decode(key, reply)),
      Effect.mapError(unavailable)
    )

  const unindex = (userId: string, key: string) =>
    redis.send("ZREM", indexKey(prefix, userId), key).pipe(Effect.asVoid, Effect.mapError(unavailable))

  const insert = Effect.fnUntraced(function* (session: StoredSession) {
    const now = yield* Clock.currentTimeMillis
    // The index entry is written first: if the session write then fails, the index contains a key
    // with no session, which listing drops, while the reverse order could hide a live session
    // from revoke-all.
    if (session.userId !== undefined) {
      const deadline = session.deadline ?? session.expiresAt
      yield* indexAddScript(indexKey(prefix, session.userId), session.key, deadline, now, ttlUntil(deadline, now)).pipe(
        Effect.mapError(unavailable)
      )
    }
    const written = yield* insertScript(
      sessionKey(prefix, session.key),
      Layout.encode({ ...session, version: 1 }),
      ttlUntil(session.expiresAt, now)
    ).pipe(Effect.mapError(unavailable))
    if (written === 0) return yield* new StoreError({ reason: "Collision" })
  })

  const update = Effect.fnUntraced(function* (session: StoredSession) {
    const now = yield* Clock.currentTimeMillis
    const outcome = yield* updateScript(
      sessionKey(prefix, session.key),
      session.version,
      Layout.encode(session),
      ttlUntil(session.expiresAt, now)
    ).pipe(Effect.mapError(unavailable))
    if (outcome === -1) return yield* new StoreError({ reason: "Gone" })
    if (outcome === 0) return yield* new StoreError({ reason: "Conflict" })
  })

  const remove = Effect.fnUntraced(function* (key: string, version: number | undefined) {
    const outcome = yield* removeScript(sessionKey(prefix, key), version === undefined ? "" : String(version)).pipe(
      Effect.mapError(unavailable)
    )
    if (outcome === -1) return yield* new StoreError({ reason: "Gone" })
    if (outcome === 0) return yield* new StoreError({ reason: "Conflict" })
    // A failure here leaves a stale index member, which listing drops; the session is gone.
    const userId = typeof outcome === "string" ? Layout.userOf(outcome) : undefined
    if (userId !== undefined) yield* unindex(userId, key).pipe(Effect.ignore)
  })

  const listByUser = Effect.fnUntraced(function* (userId: string) {
    const now = yield* Clock.currentTimeMillis
    const keys = yield* indexListScript(indexKey(prefix, userId), now).pipe(Effect.mapError(unavailable))
    const found = yield* Effect.forEach(keys, (key) => get(key), { concurrency: "unbounded" })
    const sessions: Array<StoredSession> = []
    for (const [i, entry] of found.entries()) {
      if (Option.isSome(entry) && entry.value.userId === userId) sessions.push(entry.value)
      else yield* unindex(userId, keys[i]!).pipe(Effect.ignore)
    }
    return sessions
  })

  return SessionStore.of({
    get,
    insert: (session) => within(insert(session)),
    update: (session) => within(update(session)),
    delete: (key, version) => within(remove(key, version)),
    listByUser: (userId) => within(listByUser(userId)),
    enforcesTimeout: Option.isSome(callTimeout)
  })
})

/**
 * A store layer over an existing `Redis` layer, such as `RedisClient.layerCluster` from this
 * package or `NodeRedis.layer` from `@effect/platform-node`. Over `NodeRedis.layer`, which has no
 * command deadline, the session policy's `storeTimeout` bounds every store call instead.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<SessionStore, never, Redis.Redis> =>
  Layer.effect(SessionStore, make(options))
