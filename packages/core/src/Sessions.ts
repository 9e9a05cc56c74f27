/**
 * The session service: reads, creates, renews, updates and ends the session of one request, given
 * the request's `CookieJar`. It runs the pure state machine in `SessionMachine` and carries out its
 * commands through the `SessionStore` and `CookieJar` ports, with time from Effect's `Clock`.
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
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import type { CookieJar } from "./CookieJar.js"
import * as Policy from "./Policy.js"
import {
  CookieNotWritable,
  InvalidSessionData,
  NoSession,
  SessionConflict,
  type SessionConfigError,
  SessionExpired,
  SessionGone,
  SessionTooLarge,
  StoreUnavailable
} from "./SessionError.js"
import * as Machine from "./SessionMachine.js"
import * as SessionRecord from "./SessionRecord.js"
import { StoreError, SessionStore, type StoredSession } from "./SessionStore.js"
import * as Token from "./Token.js"

/**
 * A valid session as the app sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Session<A> extends SessionRecord.SessionRecord<A> {
  /**
   * How this request came to hold the session: `resumed` from a valid cookie, `created` where no
   * cookie came in, or `replaced` where the cookie was expired or invalid.
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
 * Errors of operations that need a live session.
 *
 * @since 0.1.0
 * @category errors
 */
export type RequireError = NoSession | SessionExpired | StoreUnavailable

/**
 * Errors of `update`.
 *
 * @since 0.1.0
 * @category errors
 */
export type UpdateError =
  | RequireError
  | SessionConflict
  | SessionGone
  | SessionTooLarge
  | InvalidSessionData
  | CookieNotWritable

/**
 * Errors of `ensure`.
 *
 * @since 0.1.0
 * @category errors
 */
export type EnsureError = StoreUnavailable | CookieNotWritable | SessionTooLarge | InvalidSessionData | SessionConflict

/**
 * The session operations for data of type `A`. Each takes the request's cookie jar; the result of
 * loading the cookie is kept per jar, so several calls in one request read the store once.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sessions<A> {
  readonly policy: Policy.Policy
  /** Reports the session state. Renews a due sliding window when the jar is writable; never creates. */
  readonly read: (jar: CookieJar) => Effect.Effect<Status<A>, StoreUnavailable>
  /** Returns the live session, or fails with `NoSession` or `SessionExpired`. */
  readonly get: (jar: CookieJar) => Effect.Effect<Session<A>, RequireError>
  /** Returns the live session, or creates one with a new token and sets the cookie. */
  readonly ensure: (jar: CookieJar) => Effect.Effect<Session<A>, EnsureError>
  /**
   * Replaces the data with `f(data)` using compare-and-set. On a concurrent change it re-reads and
   * applies `f` again, up to `policy.maxUpdateAttempts` times, so `f` must be a pure function.
   */
  readonly update: (jar: CookieJar, f: (data: A) => A) => Effect.Effect<Session<A>, UpdateError>
  /** Ends the session: deletes the record, then clears the cookie. Without a cookie it does nothing. */
  readonly destroy: (jar: CookieJar) => Effect.Effect<void, StoreUnavailable | CookieNotWritable>
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
  /** Data of a new session. */
  readonly initial: () => A
  readonly policy?: Policy.PolicyOptions | undefined
}

type CommandError = StoreError | StoreUnavailable | SessionTooLarge | InvalidSessionData | CookieNotWritable

type Active<A> = Extract<Machine.State<A>, { _tag: "Active" }>

interface RequestSlot<A> {
  state: Machine.State<A>
  origin: Session<A>["origin"]
  replaced: Session<A>["replaced"]
}

// Collisions of 256-bit tokens do not happen by chance; a retry covers a faulty generator without
// looping forever on one.
const MAX_CREATE_ATTEMPTS = 3

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
    const codec = SessionRecord.codec(options.schema)
    const slots = new WeakMap<CookieJar, RequestSlot<A>>()

    const storeCall = <X>(operation: StoreUnavailable["operation"], effect: Effect.Effect<X, StoreError>) =>
      effect.pipe(
        Effect.timeoutOrElse({
          duration: policy.storeTimeoutMs,
          orElse: () =>
            Effect.fail(
              new StoreError({ reason: "Unavailable", cause: new Error(`timed out after ${policy.storeTimeoutMs} ms`) })
            )
        }),
        Effect.catch(
          (error): Effect.Effect<never, StoreError | StoreUnavailable> =>
            error.reason === "Unavailable"
              ? Effect.fail(new StoreUnavailable({ operation, cause: error.cause })).pipe(
                  Effect.tap(() =>
                    Effect.logWarning("session store unavailable").pipe(Effect.annotateLogs({ operation }))
                  )
                )
              : Effect.fail(error)
        )
      )

    const toStored = (key: string, record: SessionRecord.SessionRecord<A>, version: number) =>
      Effect.gen(function* () {
        const encoded = codec.encode(record)
        if (Result.isFailure(encoded)) return yield* new InvalidSessionData({ detail: encoded.failure })
        const size = byteLength(encoded.success)
        if (size > policy.maxSize) return yield* new SessionTooLarge({ size, maxSize: policy.maxSize })
        const stored: StoredSession = {
          key,
          sessionId: record.id,
          userId: record.userId,
          version,
          expiresAt: SessionRecord.expiresAt(record) + policy.expiredRetentionMs,
          value: encoded.success
        }
        return stored
      })

    const runCommand = (jar: CookieJar, command: Machine.Command<A>): Effect.Effect<void, CommandError> => {
      switch (command._tag) {
        case "InsertRecord":
          return Effect.flatMap(toStored(command.key, command.record, 1), (stored) =>
            storeCall("insert", store.insert(stored))
          )
        case "UpdateRecord":
          return Effect.flatMap(toStored(command.key, command.record, command.version), (stored) =>
            storeCall("update", store.update(stored))
          )
        case "DeleteRecord":
          return storeCall("delete", store.delete(command.key))
        case "SetCookie":
          return jar.write(policy.cookie, command.write)
        case "ClearCookie":
          return jar.write(policy.cookie, { _tag: "Clear" })
      }
    }

    const run = (jar: CookieJar, commands: ReadonlyArray<Machine.Command<A>>) =>
      Effect.forEach(commands, (command) => runCommand(jar, command), { discard: true })

    // A get can only fail with Unavailable; any other store reason is a bug in the adapter.
    const storeGet = (key: string) =>
      storeCall("get", store.get(key)).pipe(Effect.catchTag("StoreError", (error) => Effect.die(error)))

    const decodeStored = (stored: StoredSession, token: Redacted.Redacted<string>): Machine.Observation<A> => {
      const record = codec.decode(stored.value)
      if (Result.isFailure(record) || record.success.id !== stored.sessionId) {
        return { _tag: "Corrupt", key: stored.key, sessionId: stored.sessionId }
      }
      return { _tag: "Found", key: stored.key, token, record: record.success, version: stored.version }
    }

    const observeRequest = Effect.fnUntraced(function* (jar: CookieJar) {
      const cookie = yield* jar.read(policy.cookie.name)
      if (cookie._tag === "Missing") return { _tag: "NoCookie" } as const
      if (cookie._tag === "Duplicate") return { _tag: "Ambiguous" } as const
      // The shape check runs before any hashing or store access, so junk never reaches the store.
      if (!Token.isWellFormed(cookie.value)) return { _tag: "Malformed" } as const
      const token = Redacted.make(cookie.value)
      const key = Token.storeKey(token)
      const stored = yield* storeGet(key)
      if (Option.isNone(stored)) return { _tag: "NotFound" } as const
      return decodeStored(stored.value, token)
    })

    const logObservation = (state: Machine.State<A>, observation: Machine.Observation<A>) => {
      if (state._tag === "Expired") {
        return Effect.logInfo("session expired").pipe(
          Effect.annotateLogs({ sessionId: state.sessionId, reason: state.reason })
        )
      }
      if (state._tag === "Invalid" && state.reason === "corrupt" && observation._tag !== "NotFound") {
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

    const load = Effect.fnUntraced(function* (jar: CookieJar) {
      const cached = slots.get(jar)
      if (cached !== undefined) return cached

      const observation = yield* observeRequest(jar)
      const now = yield* Clock.currentTimeMillis
      const next = Machine.observe(policy, observation, now)
      yield* logObservation(next.state, observation)
      // Dropping an expired or corrupt record is clean-up: a read-only context skips it (the store's
      // TTL removes the record later), and a failed delete does not fail the request.
      if (jar.writable && next.commands.length > 0) {
        yield* run(jar, next.commands).pipe(
          Effect.catch((error) => Effect.logWarning(`session clean-up failed: ${error.message}`))
        )
      }
      const slot: RequestSlot<A> = { state: next.state, origin: "resumed", replaced: undefined }
      slots.set(jar, slot)
      return slot
    })

    const view = (state: Active<A>, slot: RequestSlot<A>): Session<A> => ({
      ...state.record,
      origin: slot.origin,
      replaced: slot.replaced
    })

    const touch = Effect.fnUntraced(function* (jar: CookieJar, slot: RequestSlot<A>) {
      if (slot.state._tag !== "Active" || !jar.writable) return
      const now = yield* Clock.currentTimeMillis
      const next = Machine.transition(policy, slot.state, { _tag: "Touch" }, now)
      if (next.commands.length === 0) return
      const outcome = yield* Effect.result(run(jar, next.commands))
      if (Result.isSuccess(outcome)) {
        slot.state = next.state
        yield* Effect.logDebug("session renewed").pipe(
          Effect.annotateLogs({ sessionId: slot.state._tag === "Active" ? slot.state.record.id : undefined })
        )
        return
      }
      const error = outcome.failure
      if (error._tag === "StoreUnavailable") return yield* error
      if (error._tag === "StoreError" && error.reason === "Gone") {
        // Logged out or revoked by another request since this one loaded it.
        slot.state = { _tag: "Absent" }
        return
      }
      // A concurrent writer renewed or changed the session first; this request's renewal is moot.
    })

    const read = Effect.fn("Sessions.read")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      yield* touch(jar, slot)
      const state = slot.state
      switch (state._tag) {
        case "Active":
          return { _tag: "Active", session: view(state, slot) } as const
        case "Absent":
          return { _tag: "Absent" } as const
        case "Expired":
          return { _tag: "Expired", reason: state.reason, sessionId: state.sessionId } as const
        case "Invalid":
          return { _tag: "Invalid", reason: state.reason } as const
      }
    })

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

    const get = Effect.fn("Sessions.get")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      yield* touch(jar, slot)
      const state = yield* requireActive(slot.state)
      return view(state, slot)
    })

    const create = Effect.fnUntraced(function* (jar: CookieJar, slot: RequestSlot<A>) {
      if (!jar.writable) return yield* new CookieNotWritable({ operation: "ensure" })
      const previous = slot.state
      const data = options.initial()
      for (let attempt = 1; ; attempt++) {
        const token = yield* Token.generate.pipe(Effect.provideService(Token.TokenGenerator, tokens))
        const sessionId = yield* Token.generateSessionId.pipe(Effect.provideService(Token.TokenGenerator, tokens))
        const key = Token.storeKey(token)
        const now = yield* Clock.currentTimeMillis
        const next = Machine.transition(policy, previous, { _tag: "Create", token, key, sessionId, data }, now)
        const outcome = yield* Effect.result(run(jar, next.commands))
        if (Result.isSuccess(outcome)) {
          slot.state = next.state
          slot.origin = previous._tag === "Absent" ? "created" : "replaced"
          slot.replaced = previous._tag === "Expired" || previous._tag === "Invalid" ? previous.reason : undefined
          yield* Effect.logInfo("session created").pipe(
            Effect.annotateLogs({ sessionId, replaced: slot.replaced ?? "none" })
          )
          return view(next.state as Active<A>, slot)
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
      return yield* create(jar, slot)
    })

    // Re-reads a record after a version conflict. Anything but a live record means it is gone.
    const reload = Effect.fnUntraced(function* (state: Active<A>) {
      const stored = yield* storeGet(state.key)
      if (Option.isNone(stored)) return undefined
      const now = yield* Clock.currentTimeMillis
      const next = Machine.observe(policy, decodeStored(stored.value, state.token), now)
      return next.state._tag === "Active" ? next.state : undefined
    })

    const update = Effect.fn("Sessions.update")(function* (jar: CookieJar, f: (data: A) => A) {
      const slot = yield* load(jar)
      let state = yield* requireActive(slot.state)
      if (!jar.writable) return yield* new CookieNotWritable({ operation: "update" })
      for (let attempt = 1; ; attempt++) {
        const now = yield* Clock.currentTimeMillis
        const next = Machine.transition(policy, state, { _tag: "Update", data: f(state.record.data) }, now)
        const outcome = yield* Effect.result(run(jar, next.commands))
        if (Result.isSuccess(outcome)) {
          slot.state = next.state
          return view(next.state as Active<A>, slot)
        }
        const error = outcome.failure
        if (error._tag !== "StoreError") return yield* error
        const fresh = error.reason === "Conflict" ? yield* reload(state) : undefined
        if (fresh === undefined) {
          slot.state = { _tag: "Absent" }
          yield* Effect.logInfo("session deleted during update").pipe(
            Effect.annotateLogs({ sessionId: state.record.id })
          )
          return yield* new SessionGone({ sessionId: state.record.id })
        }
        if (attempt >= policy.maxUpdateAttempts) {
          return yield* new SessionConflict({ sessionId: state.record.id, attempts: attempt })
        }
        state = fresh
      }
    })

    const destroy = Effect.fn("Sessions.destroy")(function* (jar: CookieJar) {
      const slot = yield* load(jar)
      const now = yield* Clock.currentTimeMillis
      const next = Machine.transition(policy, slot.state, { _tag: "Destroy" }, now)
      if (next.commands.length === 0) return
      if (!jar.writable) return yield* new CookieNotWritable({ operation: "destroy" })
      // The record goes first: if the store fails, the cookie stays and the user is not signed out
      // on this device while the session lives on in the store.
      // Only deletes and cookie writes run here, so only their errors can occur; the rest are bugs.
      yield* run(jar, next.commands).pipe(
        Effect.catchTags({
          StoreError: (error) => Effect.die(error),
          SessionTooLarge: (error) => Effect.die(error),
          InvalidSessionData: (error) => Effect.die(error)
        })
      )
      if (slot.state._tag === "Active") {
        yield* Effect.logInfo("session destroyed").pipe(Effect.annotateLogs({ sessionId: slot.state.record.id }))
      }
      slot.state = next.state
    })

    return { policy, read, get, ensure, update, destroy }
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

const byteLength = (text: string): number => {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) continue
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is two UTF-16 units and four UTF-8 bytes.
      bytes += 2
      i++
    } else {
      bytes += code >= 0x800 ? 2 : 1
    }
  }
  return bytes
}
