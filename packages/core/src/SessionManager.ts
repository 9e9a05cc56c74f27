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
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
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
  /** Returns the live session, or rejects with `NoSession` or `SessionExpired`. */
  readonly get: (jar: CookieJar) => Promise<Sessions.Session<A>>
  /** Returns the live session, or creates one and sets the cookie. */
  readonly ensure: (jar: CookieJar) => Promise<Sessions.Session<A>>
  /** Replaces the data with `f(data)`; `f` may run more than once and must be pure. */
  readonly update: (jar: CookieJar, f: (data: A) => A) => Promise<Sessions.Session<A>>
  /** Ends the session: deletes the record, then clears the cookie. */
  readonly destroy: (jar: CookieJar) => Promise<void>
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
}

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
  const layer = Sessions.layer(ManagedSessions, options as Sessions.Options<unknown, unknown>).pipe(
    Layer.provide(ports),
    Layer.provideMerge(clock)
  )
  const runtime = ManagedRuntime.make(layer)
  const run = <X, E>(f: (sessions: Sessions.Sessions<A>) => Effect.Effect<X, E>): Promise<X> =>
    runtime.runPromise(Effect.flatMap(ManagedSessions, (sessions) => f(sessions as Sessions.Sessions<A>)))

  return {
    policy: policy.success,
    read: (jar) => run((sessions) => sessions.read(jar)),
    get: (jar) => run((sessions) => sessions.get(jar)),
    ensure: (jar) => run((sessions) => sessions.ensure(jar)),
    update: (jar, f) => run((sessions) => sessions.update(jar, f)),
    destroy: (jar) => run((sessions) => sessions.destroy(jar)),
    dispose: () => runtime.dispose()
  }
}
