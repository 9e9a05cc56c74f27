/**
 * The session service: reads, creates, renews, updates, rotates and ends the session of one
 * request, given the request's `CookieJar`, and lists or revokes a user's sessions. It runs the pure
 * state machine in `SessionMachine` and carries out its commands through the `SessionStore` and
 * `CookieJar` ports, with time from Effect's `Clock`.
 *
 * ```ts
 * import * as Context from "effect/Context"
 * import * as Schema from "effect/Schema"
 * import * as Sessions from "@seshat/core/Sessions"
 *
 * const Cart = Schema.Struct({ items: Schema.Array(Schema.String) })
 * class AppSessions extends Context.Service<AppSessions, Sessions.Sessions<typeof Cart.Type>>()("app/Sessions") {}
 * const AppSessionsLive = Sessions.layer(AppSessions, { schema: Cart, initial: () => ({ items: [] }) })
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import type * as Cookie from "./Cookie.js"
import type { CookieJar } from "./CookieJar.js"
import * as Commands from "./internal/commands.js"
import { sha256Base64Url } from "#sha256"
import * as Policy from "./Policy.js"
import {
  CookieNotWritable,
  type InvalidSessionData,
  NoSession,
  ReauthenticationRequired,
  SessionConflict,
  type SessionConfigError,
  SessionExpired,
  SessionGone,
  type SessionTooLarge,
  type StoreUnavailable
} from "./SessionError.js"
import * as Machine from "./SessionMachine.js"
import * as SessionRecord from "./SessionRecord.js"
import { SessionStore } from "./SessionStore.js"
import * as Token from "./Token.js"

/**
 * A valid session as the app sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Session<A> extends SessionRecord.SessionRecord<A> {
  /**
   * The way this request came to have the session: `resumed` from a valid cookie, `created` where
   * the request had no session, or `replaced` where its cookie was expired or invalid.
   */
  readonly origin: "created" | "resumed" | "replaced"
  /** For a replaced session, why the presented cookie was not usable. */
  readonly replaced: Machine.ExpiryReason | Machine.InvalidReason | undefined
}

/**
 * The session state of a request as `read` reports it.
 *
 * @since 0.1.0
 * @category models
 */
export type Status<A> =
  | { readonly _tag: "Active"; readonly session: Session<A> }
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Expired"; readonly reason: Machine.ExpiryReason; readonly sessionId: string }
  | { readonly _tag: "Invalid"; readonly reason: Machine.InvalidReason }

/**
 * One entry of a user's device list: the public parts of a session, never its token or data.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionInfo {
  readonly id: string
  readonly userId: string | undefined
  readonly createdAt: number
  readonly authenticatedAt: number | undefined
  readonly lastActivityAt: number
  readonly idleExpiresAt: number
  readonly absoluteExpiresAt: number
  /** Whether this is the session of the request that asked. */
  readonly current: boolean
}

/**
 * Errors of operations that need a live session.
 *
 * @since 0.1.0
 * @category errors
 */
export type RequireError = NoSession | SessionExpired | StoreUnavailable

/**
 * Errors of operations that write a live session: `update`, `flash`, `rotate` and the like.
 *
 * @since 0.1.0
 * @category errors
 */
export type WriteError =
  | RequireError
  | SessionConflict
  | SessionGone
  | SessionTooLarge
  | InvalidSessionData
  | CookieNotWritable

/**
 * Errors of `ensure` and `login`.
 *
 * @since 0.1.0
 * @category errors
 */
export type EnsureError = StoreUnavailable | CookieNotWritable | SessionTooLarge | InvalidSessionData | SessionConflict

/**
 * The session operations for data of type `A`. Request operations take the request's cookie jar;
 * the result of loading the cookie is kept per jar, so several calls in one request read the store
 * once.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sessions<A> {
  readonly policy: Policy.Policy
  /** Reports the session state. Renews a due sliding window when the jar is writable; never creates. */
  readonly read: (jar: CookieJar) => Effect.Effect<Status<A>, StoreUnavailable>
  /**
   * Renews a due sliding window and changes nothing else: no session is created, and an expired or
   * corrupt record stays for the request that follows, so that request still learns why its
   * session ended. For code that runs before the request's own handler, such as a Next.js proxy.
   */
  readonly refresh: (jar: CookieJar) => Effect.Effect<Status<A>, StoreUnavailable>
  /** Returns the live session, or fails with `NoSession` or `SessionExpired`. */
  readonly get: (jar: CookieJar) => Effect.Effect<Session<A>, RequireError>
  /** Returns the live session, or creates one with a new token and sets the cookie. */
  readonly ensure: (jar: CookieJar) => Effect.Effect<Session<A>, EnsureError>
  /**
   * Replaces the data with `f(data)` using compare-and-set. On a concurrent change it re-reads and
   * applies `f` again, up to `policy.maxUpdateAttempts` times, so `f` must be a pure function.
   */
  readonly update: (jar: CookieJar, f: (data: A) => A) => Effect.Effect<Session<A>, WriteError>
  /** Ends the session: deletes the record, then clears the cookie. Without a cookie it does nothing. */
  readonly destroy: (jar: CookieJar) => Effect.Effect<void, StoreUnavailable | CookieNotWritable>
  /**
   * Signs a user in: moves the session to a new token and deletes the old record. The data stays
   * when the session already belonged to `userId` and starts from `initial()` otherwise. Without a
   * live session it creates one. Past `maxSessionsPerUser`, the user's oldest sessions end.
   */
  readonly login: (jar: CookieJar, userId: string) => Effect.Effect<Session<A>, EnsureError | SessionGone>
  /** Records a fresh sign-in of the session's user: a new token, and both deadlines restart. */
  readonly reauthenticate: (jar: CookieJar) => Effect.Effect<Session<A>, WriteError>
  /** Moves the session to a new token, keeping its data and deadlines (after a privilege change). */
  readonly rotate: (jar: CookieJar) => Effect.Effect<Session<A>, WriteError>
  /** Returns the session if its user signed in within `maxAge`, or fails with `ReauthenticationRequired`. */
  readonly requireRecentAuth: (
    jar: CookieJar,
    maxAge: Duration.Input
  ) => Effect.Effect<Session<A>, RequireError | ReauthenticationRequired>
  /** Stores a message for the next request that calls `takeFlash`. */
  readonly flash: (jar: CookieJar, message: string) => Effect.Effect<void, WriteError>
  /** Returns the flash message and removes it, so only one request ever sees it. */
  readonly takeFlash: (jar: CookieJar) => Effect.Effect<Option.Option<string>, WriteError>
  /** Lists the live sessions of the request's user, newest activity first, the current one marked. */
  readonly list: (jar: CookieJar) => Effect.Effect<ReadonlyArray<SessionInfo>, RequireError>
  /** Lists the live sessions of any user, for administration. */
  readonly listByUser: (userId: string) => Effect.Effect<ReadonlyArray<SessionInfo>, StoreUnavailable>
  /**
   * Ends every session of a user, except the session of `except` when given. Returns how many ended.
   * A request that still holds one of them fails its next write with `SessionGone`.
   */
  readonly revokeAll: (
    userId: string,
    options?: { readonly except?: CookieJar | undefined }
  ) => Effect.Effect<number, StoreUnavailable>
  /**
   * Ends one session of the request's user, by public id. Ending the current one also clears the
   * cookie. Returns whether a session ended.
   */
  readonly revoke: (jar: CookieJar, sessionId: string) => Effect.Effect<boolean, RequireError | CookieNotWritable>
}

/**
 * Options of the session service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<A, I> {
  /** Schema of the app's session data; stored records are decoded and encoded through it. */
  readonly schema: Schema.Codec<A, I>
  /** Data of a new session, and of a session that signs in as another user. */
  readonly initial: () => A
  readonly policy?: Policy.PolicyOptions | undefined
}

type Active<A> = Extract<Machine.State<A>, { _tag: "Active" }>

// The session state loaded for one request. It is kept in a property of the request's jar, so Node's
// `util.inspect` of the jar prints only the state's tag, never the session's record or data.
class RequestSlot<A> {
  origin: Session<A>["origin"] = "resumed"
  replaced: Session<A>["replaced"] = undefined

  constructor(public state: Machine.State<A>) {}

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `RequestSlot(${this.state._tag})`
  }
}

// Collisions of 256-bit tokens do not happen by chance; a retry covers a faulty generator without
// looping forever on one.
const MAX_CREATE_ATTEMPTS = 3

const absent: Machine.State<never> = { _tag: "Absent" }
const noCookie: Machine.Observation<never> = { _tag: "NoCookie" }
const ambiguous: Machine.Observation<never> = { _tag: "Ambiguous" }
const malformed: Machine.Observation<never> = { _tag: "Malformed" }
const notFound: Machine.Observation<never> = { _tag: "NotFound" }
const touchEvent: Machine.Event<never> = { _tag: "Touch" }

// The observation of a cookie that is missing, duplicated or not a well-formed token.
const observeUnusable = (cookie: Cookie.CookieValue): Machine.Observation<never> => {
  if (cookie._tag === "Missing") return noCookie
  if (cookie._tag === "Duplicate") return ambiguous
  return malformed
}

/**
 * Builds the service. Fails with `SessionConfigError` when the policy is unsafe.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(
  options: Options<A, I>
): Effect.Effect<Sessions<A>, SessionConfigError, SessionStore | Token.TokenGenerator> =>
  Effect.gen(function* () {
    const policyResult = Policy.make(options.policy)
    if (Result.isFailure(policyResult)) return yield* policyResult.failure
    const policy = policyResult.success
    const store = yield* SessionStore
    const tokens = yield* Token.TokenGenerator
    const commands = Commands.make(policy, store, SessionRecord.codec(options.schema))
    // A request's slot is kept in a property of its jar, under a symbol of this service. A `WeakMap`
    // entry costs more, mostly in garbage collection, so it serves only jars that share a scope and
    // jars that take no new property.
    const slotKey = Symbol("@seshat/core/Sessions/slot")
    const slots = new WeakMap<object, RequestSlot<A>>()
    const slotOf = (jar: CookieJar): RequestSlot<A> | undefined =>
      jar.scope === undefined
        ? ((jar as { [slotKey]?: RequestSlot<A> })[slotKey] ?? slots.get(jar))
        : slots.get(jar.scope)
    const fileSlot = (jar: CookieJar, slot: RequestSlot<A>): void => {
      if (jar.scope === undefined && Object.isExtensible(jar)) (jar as { [slotKey]?: RequestSlot<A> })[slotKey] = slot
      else slots.set(jar.scope ?? jar, slot)
    }

    const newCredentials = Effect.gen(function* () {
      const token = yield* Token.generate
      const sessionId = yield* Token.generateSessionId
      return { token, key: Token.storeKey(token), sessionId }
    }).pipe(Effect.provideService(Token.TokenGenerator, tokens))

    const logObservation = (state: Machine.State<A>, observation: Machine.Observation<A>) => {
      if (state._tag === "Expired") {
        return Effect.logInfo("session expired").pipe(
          Effect.annotateLogs({ sessionId: state.sessionId, reason: state.reason })
        )
      }
      if (state._tag === "Invalid" && state.reason === "corrupt") {
        const sessionId =
          observation._tag === "Corrupt"
            ? observation.sessionId
            : observation._tag === "Found"
              ? observation.record.id
              : undefined
        return Effect.logWarning("corrupt session record dropped").pipe(Effect.annotateLogs({ sessionId }))
      }
      return Effect.void
    }

    // Whether settling an observation needs an effect: a log line for an expiry, or a record to drop.
    // The common cases (a valid session, no cookie, an unknown token) need none.
    const needsCleanUp = (next: Machine.Transition<A>): boolean =>
      next.commands.length > 0 || next.state._tag === "Expired"

    // Logs an expired or corrupt record and drops it. Dropping is clean-up: a read-only context and
    // `refresh` skip it (the store's TTL removes the record later), and a failed delete does not fail
    // the request. `refresh` skips the log line as well, since the handler that runs after it logs
    // the same record again.
    const cleanUp = (
      jar: CookieJar,
      observation: Machine.Observation<A>,
      next: Machine.Transition<A>,
      cleanUpAllowed: boolean
    ): Effect.Effect<void> => {
      const drop =
        cleanUpAllowed && jar.writable && next.commands.length > 0
          ? commands
              .run(jar, next.commands)
              .pipe(Effect.catch((error) => Effect.logWarning(`session clean-up failed: ${error.message}`)))
          : Effect.void
      return cleanUpAllowed ? Effect.andThen(logObservation(next.state, observation), drop) : Effect.void
    }

    // Settles the state of a request loaded at `now` and files it for the jar. With `renew`, a due
    // sliding window is renewed at the same `now`.
    const settleFresh = <X, E>(
      jar: CookieJar,
      observation: Machine.Observation<A>,
      cleanUpAllowed: boolean,
      renew: boolean,
      now: number,
      finish: (slot: RequestSlot<A>) => Effect.Effect<X, E>
    ): Effect.Effect<X, E> => {
      const next = Machine.observe(policy, observation, now)
      if (needsCleanUp(next)) {
        return Effect.flatMap(cleanUp(jar, observation, next, cleanUpAllowed), () => finish(newSlot(jar, next.state)))
      }
      const slot = newSlot(jar, next.state)
      if (renew && isRenewalDue(jar, slot, now)) return Effect.flatMap(renewAt(jar, slot, now), () => finish(slot))
      return finish(slot)
    }

    // Loads a request's session for the first time: reads the cookie and, for a well-formed token,
    // the store, then reads the clock once. Every request runs this, so a valid session with no
    // renewal due costs one store call, one clock read and no other effect. The shape check runs
    // before any hashing or store access, so junk never reaches the store.
    const loadFresh = <X, E>(
      jar: CookieJar,
      cleanUpAllowed: boolean,
      renew: boolean,
      finish: (slot: RequestSlot<A>) => Effect.Effect<X, E>
    ): Effect.Effect<X, E | StoreUnavailable> => {
      const cookie = jar.read(policy.cookie.name)
      if (cookie._tag === "Present" && Token.isWellFormed(cookie.value)) {
        const token = cookie.value
        return Effect.flatMap(commands.get(sha256Base64Url(token)), (stored) =>
          Effect.clockWith((clock) => {
            const observation = Option.isNone(stored) ? notFound : commands.decodeFromCookie(stored.value, token)
            return settleFresh(jar, observation, cleanUpAllowed, renew, clock.currentTimeMillisUnsafe(), finish)
          })
        )
      }
      const observation = observeUnusable(cookie)
      return Effect.clockWith((clock) =>
        settleFresh(jar, observation, cleanUpAllowed, renew, clock.currentTimeMillisUnsafe(), finish)
      )
    }

    const newSlot = (jar: CookieJar, state: Machine.State<A>): RequestSlot<A> => {
      const slot = new RequestSlot(state)
      fileSlot(jar, slot)
      return slot
    }

    // A request that holds its session past a deadline must see it expire, not renew it, so a cached
    // active state is checked against the clock again.
    const loadCached = (
      jar: CookieJar,
      cached: RequestSlot<A>,
      cleanUpAllowed: boolean
    ): Effect.Effect<RequestSlot<A>, StoreUnavailable> => {
      const state = cached.state
      if (state._tag !== "Active") return Effect.succeed(cached)
      return Effect.clockWith((clock) => {
        const now = clock.currentTimeMillisUnsafe()
        if (now < SessionRecord.expiresAt(state.record)) return Effect.succeed(cached)
        const observation: Machine.Observation<A> = {
          _tag: "Found",
          key: state.key,
          token: state.token,
          record: state.record,
          version: state.version
        }
        const next = Machine.observe(policy, observation, now)
        const settled = () => {
          cached.state = next.state
          return cached
        }
        return needsCleanUp(next)
          ? Effect.map(cleanUp(jar, observation, next, cleanUpAllowed), settled)
          : Effect.sync(settled)
      })
    }

    // Loads the request's session once per jar.
    const load = (jar: CookieJar, cleanUpAllowed = true): Effect.Effect<RequestSlot<A>, StoreUnavailable> => {
      const cached = slotOf(jar)
      return cached === undefined
        ? loadFresh(jar, cleanUpAllowed, false, Effect.succeed)
        : loadCached(jar, cached, cleanUpAllowed)
    }

    // Fields are listed one by one: an object spread here costs more than the rest of a read.
    const view = (state: Active<A>, slot: RequestSlot<A>): Session<A> => {
      const record = state.record
      return {
        id: record.id,
        userId: record.userId,
        data: record.data,
        createdAt: record.createdAt,
        authenticatedAt: record.authenticatedAt,
        lastActivityAt: record.lastActivityAt,
        idleExpiresAt: record.idleExpiresAt,
        absoluteExpiresAt: record.absoluteExpiresAt,
        flash: record.flash,
        origin: slot.origin,
        replaced: slot.replaced
      }
    }

    // Whether the request's session is due for a renewal that its jar can write.
    const isRenewalDue = (jar: CookieJar, slot: RequestSlot<A>, now: number): boolean =>
      slot.state._tag === "Active" && jar.writable && Machine.isRenewalDue(policy, slot.state.record, now)

    const touch = (jar: CookieJar, slot: RequestSlot<A>): Effect.Effect<void> => {
      if (slot.state._tag !== "Active" || !jar.writable) return Effect.void
      return Effect.clockWith((clock) => renewAt(jar, slot, clock.currentTimeMillisUnsafe()))
    }

    // Renews a due sliding window. A failed renewal never fails the request: the session loaded
    // and is valid, and the next request renews it.
    const renewAt = (jar: CookieJar, slot: RequestSlot<A>, now: number): Effect.Effect<void> => {
      const state = slot.state
      if (state._tag !== "Active") return Effect.void
      const next = Machine.transition(policy, state, touchEvent, now)
      if (next.commands.length === 0) return Effect.void
      return commands.run(jar, next.commands).pipe(
        Effect.matchEffect({
          onSuccess: () => {
            slot.state = next.state
            return Effect.logDebug("session renewed").pipe(Effect.annotateLogs({ sessionId: state.record.id }))
          },
          onFailure: (error) => {
            if (error._tag === "StoreError" && error.reason === "Gone") {
              // Logged out or revoked by another request since this one loaded it.
              slot.state = absent
              return Effect.void
            }
            if (error._tag === "StoreError" && error.reason === "Conflict") {
              // A concurrent request renewed or changed the session first, so this renewal is moot.
              return Effect.void
            }
            return Effect.logWarning(`session renewal skipped: ${error.message}`).pipe(
              Effect.annotateLogs({ sessionId: state.record.id })
            )
          }
        })
      )
    }

    const requireActive = (state: Machine.State<A>): Effect.Effect<Active<A>, NoSession | SessionExpired> => {
      switch (state._tag) {
        case "Active":
          return Effect.succeed(state)
        case "Absent":
          return Effect.fail(new NoSession({ reason: "absent" }))
        case "Expired":
          return Effect.fail(new SessionExpired({ reason: state.reason, sessionId: state.sessionId }))
        case "Invalid":
          return Effect.fail(new NoSession({ reason: state.reason }))
      }
    }

    const status = (slot: RequestSlot<A>): Status<A> => {
      const state = slot.state
      switch (state._tag) {
        case "Active":
          return { _tag: "Active", session: view(state, slot) }
        case "Absent":
          return { _tag: "Absent" }
        case "Expired":
          return { _tag: "Expired", reason: state.reason, sessionId: state.sessionId }
        case "Invalid":
          return { _tag: "Invalid", reason: state.reason }
      }
    }

    // read, refresh and get run on every request, so they are built from plain combinators and
    // create no span; the operations that write have spans.
    const loadAndTouch = <X, E>(
      jar: CookieJar,
      cleanUpAllowed: boolean,
      finish: (slot: RequestSlot<A>) => Effect.Effect<X, E>
    ): Effect.Effect<X, E | StoreUnavailable> => {
      const cached = slotOf(jar)
      if (cached === undefined) return loadFresh(jar, cleanUpAllowed, true, finish)
      return Effect.flatMap(loadCached(jar, cached, cleanUpAllowed), (slot) =>
        Effect.flatMap(touch(jar, slot), () => finish(slot))
      )
    }

    const reportStatus = (slot: RequestSlot<A>) => Effect.succeed(status(slot))

    const reportActive = (slot: RequestSlot<A>) => Effect.map(requireActive(slot.state), (state) => view(state, slot))

    const read = (jar: CookieJar) => loadAndTouch(jar, true, reportStatus)

    const refresh = (jar: CookieJar) => loadAndTouch(jar, false, reportStatus)

    const get = (jar: CookieJar) => loadAndTouch(jar, true, reportActive)

    const enforceSessionLimit = Effect.fnUntraced(function* (userId: string, currentKey: string) {
      const limit = policy.maxSessionsPerUser
      if (limit === undefined) return
      const stored = yield* commands.listByUser(userId)
      if (stored.length <= limit) return
      const others = stored
        .filter((session) => session.key !== currentKey)
        .map((session) => ({ session, record: commands.decodeRecord(session) }))
        .sort((a, b) => createdAt(a.record) - createdAt(b.record))
      for (const { session } of others.slice(0, stored.length - limit)) {
        yield* commands.call("delete", store.delete(session.key)).pipe(Effect.catchTag("StoreError", Effect.die))
        yield* Effect.logInfo("session evicted by the per-user limit").pipe(
          Effect.annotateLogs({ sessionId: session.sessionId })
        )
      }
    })

    const create = Effect.fnUntraced(function* (jar: CookieJar, slot: RequestSlot<A>, userId: string | undefined) {
      if (!jar.writable) return yield* new CookieNotWritable({ operation: userId === undefined ? "ensure" : "login" })
      const previous = slot.state
      const data = options.initial()
      for (let attempt = 1; ; attempt++) {
        const { token, key, sessionId } = yield* newCredentials
        const now = yield* Clock.currentTimeMillis
        const next = Machine.transition(policy, previous, { _tag: "Create", token, key, sessionId, data, userId }, now)
        const outcome = yield* Effect.result(commands.run(jar, next.commands))
        if (Result.isSuccess(outcome)) {
          slot.state = next.state
          slot.origin = previous._tag === "Absent" ? "created" : "replaced"
          slot.replaced = previous._tag === "Expired" || previous._tag === "Invalid" ? previous.reason : undefined
          yield* Effect.logInfo("session created").pipe(
            Effect.annotateLogs({ sessionId, replaced: slot.replaced ?? "none" })
          )
          return next.state as Active<A>
        }
        const error = outcome.failure
        if (error._tag !== "StoreError") return yield* error
        if (error.reason !== "Collision" || attempt >= MAX_CREATE_ATTEMPTS) {
          return yield* new SessionConflict({ sessionId, attempts: attempt })
        }
        yield* Effect.logWarning("session key collision, generating another token")
      }
    })

    const ensure = Effect.fn("Sessions.ensure")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      if (slot.state._tag === "Active") {
        yield* touch(jar, slot)
        if (slot.state._tag === "Active") return view(slot.state, slot)
      }
      return view(yield* create(jar, slot, undefined), slot)
    })

    // Re-reads a record after a version conflict. Anything but a live record means it is gone.
    const reload = Effect.fnUntraced(function* (state: Active<A>) {
      const stored = yield* commands.get(state.key)
      if (Option.isNone(stored)) return undefined
      const now = yield* Clock.currentTimeMillis
      const next = Machine.observe(policy, commands.decode(stored.value, state.token), now)
      return next.state._tag === "Active" ? next.state : undefined
    })

    // Applies an event to the live session with compare-and-set. After a version conflict it
    // re-reads the record and builds the event again from the fresh state.
    const commit = Effect.fnUntraced(function* (
      jar: CookieJar,
      slot: RequestSlot<A>,
      operation: string,
      event: (state: Active<A>) => Machine.Event<A>
    ) {
      let state = yield* requireActive(slot.state)
      if (!jar.writable) return yield* new CookieNotWritable({ operation })
      for (let attempt = 1; ; attempt++) {
        const now = yield* Clock.currentTimeMillis
        const next = Machine.transition(policy, state, event(state), now)
        if (next.commands.length === 0) return state
        const outcome = yield* Effect.result(commands.run(jar, next.commands))
        if (Result.isSuccess(outcome)) {
          slot.state = next.state
          return next.state as Active<A>
        }
        const error = outcome.failure
        if (error._tag !== "StoreError") return yield* error
        const fresh = error.reason === "Conflict" ? yield* reload(state) : undefined
        if (fresh === undefined) {
          slot.state = absent
          yield* Effect.logInfo("session rotated or deleted by another request").pipe(
            Effect.annotateLogs({ sessionId: state.record.id, operation })
          )
          return yield* new SessionGone({ sessionId: state.record.id })
        }
        if (attempt >= policy.maxUpdateAttempts) {
          return yield* new SessionConflict({ sessionId: state.record.id, attempts: attempt })
        }
        state = fresh
      }
    })

    const update = Effect.fn("Sessions.update")(function* (jar: CookieJar, f: (data: A) => A) {
      const slot = yield* load(jar)
      const state = yield* commit(jar, slot, "update", (current) => ({ _tag: "Update", data: f(current.record.data) }))
      return view(state, slot)
    })

    const rotateTo = Effect.fnUntraced(function* (
      jar: CookieJar,
      slot: RequestSlot<A>,
      operation: string,
      userId: (state: Active<A>) => string | undefined,
      authenticate: boolean
    ) {
      const credentials = yield* newCredentials
      const data = options.initial()
      const state = yield* commit(jar, slot, operation, (current) => ({
        _tag: "Rotate",
        ...credentials,
        userId: userId(current),
        data,
        authenticate
      }))
      yield* Effect.logInfo("session rotated").pipe(Effect.annotateLogs({ sessionId: state.record.id, operation }))
      return state
    })

    const login = Effect.fn("Sessions.login")(function* (jar: CookieJar, userId: string) {
      const slot = yield* load(jar)
      const state =
        slot.state._tag === "Active"
          ? yield* rotateTo(jar, slot, "login", () => userId, true).pipe(
              Effect.catchTags({
                NoSession: Effect.die,
                SessionExpired: Effect.die,
                // A concurrent request rotated or ended the session first. The app has checked the
                // user's credentials, so this sign-in starts a session of its own.
                SessionGone: () => create(jar, slot, userId)
              })
            )
          : yield* create(jar, slot, userId)
      // The sign-in has committed and set its cookie, so a store failure while evicting older
      // sessions must not fail it: the limit applies again at the next sign-in.
      yield* enforceSessionLimit(userId, state.key).pipe(
        Effect.catchTag("StoreUnavailable", (error) =>
          Effect.logWarning(`per-user session limit not applied: ${error.message}`).pipe(
            Effect.annotateLogs({ sessionId: state.record.id })
          )
        )
      )
      return view(state, slot)
    })

    const reauthenticate = Effect.fn("Sessions.reauthenticate")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      const active = yield* requireActive(slot.state)
      if (active.record.userId === undefined) return yield* new NoSession({ reason: "absent" })
      return view(yield* rotateTo(jar, slot, "reauthenticate", (current) => current.record.userId, true), slot)
    })

    const rotate = Effect.fn("Sessions.rotate")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      return view(yield* rotateTo(jar, slot, "rotate", (current) => current.record.userId, false), slot)
    })

    const requireRecentAuth = Effect.fn("Sessions.requireRecentAuth")(function* (
      jar: CookieJar,
      maxAge: Duration.Input
    ) {
      const session = yield* get(jar)
      const now = yield* Clock.currentTimeMillis
      const limit = Duration.toMillis(Duration.fromInputUnsafe(maxAge))
      if (session.authenticatedAt === undefined || now - session.authenticatedAt > limit) {
        return yield* new ReauthenticationRequired({ sessionId: session.id, authenticatedAt: session.authenticatedAt })
      }
      return session
    })

    const flash = Effect.fn("Sessions.flash")(function* (jar: CookieJar, message: string) {
      const slot = yield* load(jar)
      yield* commit(jar, slot, "flash", () => ({ _tag: "Flash", message }))
    })

    const takeFlash = Effect.fn("Sessions.takeFlash")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      let taken: string | undefined
      // The event is rebuilt after a conflict, so `taken` holds the message of the version that won.
      yield* commit(jar, slot, "takeFlash", (current) => {
        taken = current.record.flash
        return { _tag: "Flash", message: undefined }
      })
      return Option.fromNullishOr(taken)
    })

    const infos = Effect.fnUntraced(function* (userId: string, currentKey: string | undefined) {
      const stored = yield* commands.listByUser(userId)
      const now = yield* Clock.currentTimeMillis
      const result: Array<SessionInfo> = []
      for (const session of stored) {
        const record = commands.decodeRecord(session)
        if (Option.isNone(record) || now >= SessionRecord.expiresAt(record.value)) continue
        const { data: _data, flash: _flash, ...info } = record.value
        result.push({ ...info, current: session.key === currentKey })
      }
      return result.sort((a, b) => b.lastActivityAt - a.lastActivityAt)
    })

    const list = Effect.fn("Sessions.list")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      const active = yield* requireActive(slot.state)
      if (active.record.userId === undefined) {
        const { data: _data, flash: _flash, ...info } = active.record
        return [{ ...info, current: true }]
      }
      return yield* infos(active.record.userId, active.key)
    })

    const listByUser = Effect.fn("Sessions.listByUser")((userId: string) => infos(userId, undefined))

    const revokeAll = Effect.fn("Sessions.revokeAll")(function* (
      userId: string,
      revokeOptions?: { readonly except?: CookieJar | undefined }
    ) {
      const keep = revokeOptions?.except === undefined ? undefined : (yield* load(revokeOptions.except)).state
      const keepKey = keep?._tag === "Active" ? keep.key : undefined
      const stored = yield* commands.listByUser(userId)
      let revoked = 0
      for (const session of stored) {
        if (session.key === keepKey) continue
        yield* commands.call("delete", store.delete(session.key)).pipe(Effect.catchTag("StoreError", Effect.die))
        revoked++
      }
      yield* Effect.logInfo("sessions revoked").pipe(Effect.annotateLogs({ userId, revoked }))
      return revoked
    })

    const revoke = Effect.fn("Sessions.revoke")(function* (jar: CookieJar, sessionId: string) {
      const slot = yield* load(jar)
      const active = yield* requireActive(slot.state)
      if (active.record.id === sessionId) {
        yield* destroy(jar)
        return true
      }
      if (active.record.userId === undefined) return false
      const target = (yield* commands.listByUser(active.record.userId)).find((s) => s.sessionId === sessionId)
      if (target === undefined) return false
      yield* commands.call("delete", store.delete(target.key)).pipe(Effect.catchTag("StoreError", Effect.die))
      yield* Effect.logInfo("session revoked").pipe(Effect.annotateLogs({ sessionId }))
      return true
    })

    const destroy = Effect.fn("Sessions.destroy")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      const now = yield* Clock.currentTimeMillis
      const next = Machine.transition(policy, slot.state, { _tag: "Destroy" }, now)
      if (next.commands.length === 0) return
      if (!jar.writable) return yield* new CookieNotWritable({ operation: "destroy" })
      // The record goes first: if the store fails, the cookie stays, so the session is never left
      // alive in the store while this browser believes it signed out.
      // Only deletes and cookie writes run here, so other errors would be bugs.
      yield* commands.run(jar, next.commands).pipe(
        Effect.catchTags({
          StoreError: Effect.die,
          SessionTooLarge: Effect.die,
          InvalidSessionData: Effect.die
        })
      )
      if (slot.state._tag === "Active") {
        yield* Effect.logInfo("session destroyed").pipe(Effect.annotateLogs({ sessionId: slot.state.record.id }))
      }
      slot.state = next.state
    })

    return {
      policy,
      read,
      refresh,
      get,
      ensure,
      update,
      destroy,
      login,
      reauthenticate,
      rotate,
      requireRecentAuth,
      flash,
      takeFlash,
      list,
      listByUser,
      revokeAll,
      revoke
    }
  })

/**
 * Builds a layer for a service key of the app's choosing.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <Self, A, I>(
  service: Context.Key<Self, Sessions<A>>,
  options: Options<A, I>
): Layer.Layer<Self, SessionConfigError, SessionStore | Token.TokenGenerator> => Layer.effect(service, make(options))

const createdAt = (record: Option.Option<SessionRecord.SessionRecord<unknown>>): number =>
  Option.isSome(record) ? record.value.createdAt : 0
