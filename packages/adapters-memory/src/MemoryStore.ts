/**
 * The in-memory session store: one `Map` per layer, bounded in size with least-recently-used
 * eviction, expired entries swept, and the same compare-and-set semantics as the Redis store.
 *
 * For a single process only: sessions are lost on restart and not shared between instances.
 *
 * NOTE: every session counts against `maxEntries`, anonymous ones included. A flood of new visitors
 * whose requests call `ensure` evicts the least recently used sessions, which may be signed-in
 * users'. Call `ensure` only where a session is needed, and use a shared store such as Redis where
 * that is not enough.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { SessionStore, StoreError, type StoredSession } from "@seshat/core/SessionStore"

/**
 * Options of the memory store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Maximum number of sessions kept; past it the least recently used one is evicted. Default 100000. */
  readonly maxEntries?: number | undefined
  /** Minimum time between two sweeps of expired entries, in milliseconds. Default 60000. */
  readonly sweepIntervalMs?: number | undefined
  /**
   * Name under which the store's state is kept on `globalThis`, so every copy of the module in one
   * process shares the same sessions. Next.js loads a module once per bundle (proxy, pages, route
   * handlers) and again after each hot reload, so a Next.js app sets this. Without it, each call to
   * `make` has its own sessions.
   */
  readonly globalKey?: string | undefined
}

interface State {
  readonly entries: Map<string, StoredSession>
  readonly byUser: Map<string, Set<string>>
  lastSweep: number
}

const newState = (): State => ({ entries: new Map(), byUser: new Map(), lastSweep: 0 })

const sharedState = (key: string): State => {
  const slot = Symbol.for(`@seshat/adapters-memory/${key}`)
  const global = globalThis as { [slot]?: State }
  global[slot] ??= newState()
  return global[slot]
}

/**
 * Builds a store. Time comes from Effect's `Clock`, so `TestClock` controls expiry in tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): SessionStore["Service"] => {
  const maxEntries = options.maxEntries ?? 100_000
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a whole number of at least 1, got ${maxEntries}`)
  }
  // Insertion order is recency order: a read moves its entry to the end, so the first key is the
  // least recently used.
  const state = options.globalKey === undefined ? newState() : sharedState(options.globalKey)
  const entries = state.entries
  // Keys of each user's sessions. Every removal from `entries` goes through `remove`, which keeps
  // this index in step.
  const byUser = state.byUser

  const remove = (key: string) => {
    const entry = entries.get(key)
    if (entry === undefined) return
    entries.delete(key)
    if (entry.userId === undefined) return
    const keys = byUser.get(entry.userId)
    keys?.delete(key)
    if (keys?.size === 0) byUser.delete(entry.userId)
  }

  const live = (key: string, now: number): StoredSession | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      remove(key)
      return undefined
    }
    return entry
  }

  const sweep = (now: number) => {
    if (now - state.lastSweep < sweepIntervalMs) return
    state.lastSweep = now
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) remove(key)
    }
  }

  const put = (session: StoredSession) => {
    const previous = entries.get(session.key)
    if (previous !== undefined && previous.userId !== session.userId) remove(session.key)
    entries.delete(session.key)
    entries.set(session.key, session)
    if (session.userId !== undefined) {
      const keys = byUser.get(session.userId)
      if (keys === undefined) byUser.set(session.userId, new Set([session.key]))
      else keys.add(session.key)
    }
    while (entries.size > maxEntries) {
      remove(entries.keys().next().value!)
    }
  }

  return SessionStore.of({
    enforcesTimeout: true,
    get: (key) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = live(key, now)
        if (entry === undefined) return Option.none()
        entries.delete(key)
        entries.set(key, entry)
        return Option.some(entry)
      }),
    insert: (session) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        sweep(now)
        if (live(session.key, now) !== undefined) return Effect.fail(new StoreError({ reason: "Collision" }))
        put({ ...session, version: 1 })
        return Effect.void
      }),
    update: (session) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        sweep(now)
        const current = live(session.key, now)
        if (current === undefined) return Effect.fail(new StoreError({ reason: "Gone" }))
        if (current.version !== session.version - 1) return Effect.fail(new StoreError({ reason: "Conflict" }))
        put(session)
        return Effect.void
      }),
    delete: (key, version) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (version !== undefined) {
          const current = live(key, now)
          if (current === undefined) return Effect.fail(new StoreError({ reason: "Gone" }))
          if (current.version !== version) return Effect.fail(new StoreError({ reason: "Conflict" }))
        }
        remove(key)
        return Effect.void
      }),
    listByUser: (userId) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const keys = byUser.get(userId)
        if (keys === undefined) return []
        const sessions: Array<StoredSession> = []
        for (const key of Array.from(keys)) {
          const entry = live(key, now)
          if (entry !== undefined) sessions.push(entry)
        }
        return sessions
      })
  })
}

/**
 * A layer with a fresh memory store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: Options = {}): Layer.Layer<SessionStore> =>
  Layer.sync(SessionStore, () => make(options))
