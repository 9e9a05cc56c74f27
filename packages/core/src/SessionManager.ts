/**
 * The Promise API: the session operations for apps that do not use Effect. One manager per process
 * owns one `ManagedRuntime`, built once from the store layer.
 *
 * ```ts
 * const sessions = SessionManager.make({ schema: Visits, initial: () => ({ visits: 0 }), store: layerMemory() })
 * const jar = WebCookies.fromRequest(request)
 * const session = await sessions.update(jar, (data) => ({ visits: data.visits + 1 }))
 * ```
 *
 * Failures reject with the same tagged errors as the Effect API (`NoSession`, `StoreUnavailable`, ...),
 * so callers branch on `error._tag` or `instanceof`.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type { LogLevel } from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Result from "effect/Result"
import type { CookieJar } from "./CookieJar.js"
import * as Policy from "./Policy.js"
import type { SessionStore } from "./SessionStore.js"
import * as Sessions from "./Sessions.js"
import * as Token from "./Token.js"

/**
 * The session operations, returning Promises.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionManager<A> {
  readonly policy: Policy.Policy
  /** Reports the session state, renewing a due sliding window when the jar is writable. */
  readonly read: (jar: CookieJar) => Promise<Sessions.Status<A>>
  /** Renews a due sliding window and changes nothing else; see `Sessions.refresh`. */
  readonly refresh: (jar: CookieJar) => Promise<Sessions.Status<A>>
  /** Returns the live session, or rejects with `NoSession` or `SessionExpired`. */
  readonly get: (jar: CookieJar) => Promise<Sessions.Session<A>>
  /** Returns the live session, or creates one and sets the cookie. */
  readonly ensure: (jar: CookieJar) => Promise<Sessions.Session<A>>
  /** Replaces the data with `f(data)`; `f` may run more than once and must be pure. */
  readonly update: (jar: CookieJar, f: (data: A) => A) => Promise<Sessions.Session<A>>
  /** Ends the session: deletes the record, then clears the cookie. */
  readonly destroy: (jar: CookieJar) => Promise<void>
  /** Signs a user in with a new token; see `Sessions.login`. */
  readonly login: (jar: CookieJar, userId: string) => Promise<Sessions.Session<A>>
  /** Records a fresh sign-in of the session's user, with a new token. */
  readonly reauthenticate: (jar: CookieJar) => Promise<Sessions.Session<A>>
  /** Moves the session to a new token, keeping its data and deadlines. */
  readonly rotate: (jar: CookieJar) => Promise<Sessions.Session<A>>
  /** Returns the session if its user signed in within `maxAge`, or rejects with `ReauthenticationRequired`. */
  readonly requireRecentAuth: (jar: CookieJar, maxAge: Duration.Input) => Promise<Sessions.Session<A>>
  /** Stores a message for the next request that calls `takeFlash`. */
  readonly flash: (jar: CookieJar, message: string) => Promise<void>
  /** Returns the flash message, or `undefined`, and removes it. */
  readonly takeFlash: (jar: CookieJar) => Promise<string | undefined>
  /** Lists the live sessions of the request's user, the current one marked. */
  readonly list: (jar: CookieJar) => Promise<ReadonlyArray<Sessions.SessionInfo>>
  /** Lists the live sessions of any user. */
  readonly listByUser: (userId: string) => Promise<ReadonlyArray<Sessions.SessionInfo>>
  /** Ends every session of a user, except the one of `except`. Resolves to how many ended. */
  readonly revokeAll: (userId: string, options?: { readonly except?: CookieJar | undefined }) => Promise<number>
  /** Ends one session of the request's user by public id. */
  readonly revoke: (jar: CookieJar, sessionId: string) => Promise<boolean>
  /** Releases the runtime and the store's resources. */
  readonly dispose: () => Promise<void>
}

/**
 * Options of a manager: the service options plus the layers of its ports.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<A, I> extends Sessions.Options<A, I> {
  /** The store, such as `layerMemory()` from `@seshat/adapters-memory`. */
  readonly store: Layer.Layer<SessionStore, unknown>
  /** Token source; Web Crypto by default. */
  readonly tokens?: Layer.Layer<Token.TokenGenerator> | undefined
  /** Clock; the system clock by default. Tests and demos pass a clock they control. */
  readonly clock?: Clock.Clock | undefined
  /**
   * Minimum level of the lines logged: `"Info"` by default, `"Warn"` for outages and corrupt
   * records only, `"None"` for silence, `"Debug"` to include renewals.
   */
  readonly logLevel?: LogLevel | undefined
  /**
   * Logger that receives the log lines, such as `Logger.consoleJson` from `effect/Logger` or one
   * that forwards to the app's own. Effect's console logger by default. Log lines name sessions by
   * their public id, never by token.
   */
  readonly logger?: Logger.Logger<unknown, unknown> | undefined
}

const settle = <X>(exit: Exit.Exit<X, unknown>): Promise<X> =>
  exit._tag === "Success" ? Promise.resolve(exit.value) : Promise.reject(Cause.squash(exit.cause))

const ManagedSessions = Context.Service<Sessions.Sessions<unknown>>("@seshat/core/SessionManager/Sessions")

/**
 * Creates a manager. Throws `SessionConfigError` at once when the policy is unsafe, so a bad
 * configuration stops the app at start-up rather than at the first request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(options: Options<A, I>): SessionManager<A> => {
  const policy = Policy.make(options.policy)
  if (Result.isFailure(policy)) throw policy.failure

  const ports = Layer.merge(options.store, options.tokens ?? Token.layerWebCrypto)
  // The clock is merged into the runtime's context, because the service reads it on every call.
  const clock = options.clock === undefined ? Layer.empty : Layer.succeed(Clock.Clock, options.clock)
  const logging = Layer.mergeAll(
    options.logLevel === undefined ? Layer.empty : Layer.succeed(References.MinimumLogLevel, options.logLevel),
    options.logger === undefined ? Layer.empty : Logger.layer([options.logger])
  )
  const layer = Sessions.layer(ManagedSessions, options as Sessions.Options<unknown, unknown>).pipe(
    Layer.provide(ports),
    Layer.provideMerge(clock),
    Layer.provideMerge(logging)
  )
  const runtime = ManagedRuntime.make(layer)
  let service: Sessions.Sessions<A> | undefined
  const resolveService = Effect.map(ManagedSessions, (sessions) => {
    service = sessions as Sessions.Sessions<A>
    return service
  })

  // After the first call the service is called directly. An operation that ends without waiting,
  // such as a read from the memory store, resolves from the fiber's exit. That skips the two promises
  // that `runPromise` chains. Operations that wait resolve when the fiber ends.
  const run = <X, E>(f: (sessions: Sessions.Sessions<A>) => Effect.Effect<X, E>): Promise<X> => {
    const fiber = runtime.runFork(service === undefined ? Effect.flatMap(resolveService, f) : f(service))
    const exit = fiber.pollUnsafe()
    if (exit !== undefined) return settle(exit)
    return new Promise<Exit.Exit<X, unknown>>((resolve) => fiber.addObserver(resolve)).then(settle)
  }

  return {
    policy: policy.success,
    read: (jar) => run((sessions) => sessions.read(jar)),
    refresh: (jar) => run((sessions) => sessions.refresh(jar)),
    get: (jar) => run((sessions) => sessions.get(jar)),
    ensure: (jar) => run((sessions) => sessions.ensure(jar)),
    update: (jar, f) => run((sessions) => sessions.update(jar, f)),
    destroy: (jar) => run((sessions) => sessions.destroy(jar)),
    login: (jar, userId) => run((sessions) => sessions.login(jar, userId)),
    reauthenticate: (jar) => run((sessions) => sessions.reauthenticate(jar)),
    rotate: (jar) => run((sessions) => sessions.rotate(jar)),
    requireRecentAuth: (jar, maxAge) => run((sessions) => sessions.requireRecentAuth(jar, maxAge)),
    flash: (jar, message) => run((sessions) => sessions.flash(jar, message)),
    takeFlash: (jar) => run((sessions) => Effect.map(sessions.takeFlash(jar), Option.getOrUndefined)),
    list: (jar) => run((sessions) => sessions.list(jar)),
    listByUser: (userId) => run((sessions) => sessions.listByUser(userId)),
    revokeAll: (userId, revokeOptions) => run((sessions) => sessions.revokeAll(userId, revokeOptions)),
    revoke: (jar, sessionId) => run((sessions) => sessions.revoke(jar, sessionId)),
    dispose: () => runtime.dispose()
  }
}
