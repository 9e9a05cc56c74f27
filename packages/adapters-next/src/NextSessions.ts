/**
 * Sessions for the Next.js App Router, through `await cookies()`.
 *
 * ```ts
 * // lib/session.ts
 * export const sessions = NextSessions.make({
 *   schema: Schema.Struct({ visits: Schema.Number }),
 *   initial: () => ({ visits: 0 }),
 *   store: layerMemory()
 * })
 *
 * // app/page.tsx (Server Component): read-only
 * const status = await sessions.read()
 *
 * // app/actions.ts (Server Action): may write the cookie
 * await sessions.update((data) => ({ visits: data.visits + 1 }))
 * ```
 *
 * @since 0.1.0
 */
import type * as Sessions from "@seshat/core/Sessions"
import type * as Duration from "effect/Duration"
import * as SessionManager from "@seshat/core/SessionManager"
import { cookies } from "next/headers.js"
import { jarOf, type NextCookieStore } from "./NextCookies.js"

/**
 * Session operations bound to the current Next.js request.
 *
 * @since 0.1.0
 * @category models
 */
export interface NextSessions<A> {
  /**
   * Reports the session state without writing anything, for Server Components. A stale, expired or
   * bad cookie gives a status, never an exception; only a store outage throws (`StoreUnavailable`),
   * so the nearest error boundary shows it instead of a signed-out page.
   */
  readonly read: () => Promise<Sessions.Status<A>>
  /** Returns the live session, or creates one and sets the cookie. Route Handlers and Server Actions only. */
  readonly ensure: () => Promise<Sessions.Session<A>>
  /** Replaces the data with `f(data)`. Rejects with `NoSession` or `SessionExpired` without a live session. */
  readonly update: (f: (data: A) => A) => Promise<Sessions.Session<A>>
  /** Ends the session: deletes the record, then clears the cookie. */
  readonly destroy: () => Promise<void>
  /** Signs a user in with a new token (the old one stops working). */
  readonly login: (userId: string) => Promise<Sessions.Session<A>>
  /** Signs out: the same as `destroy`. */
  readonly logout: () => Promise<void>
  /** Records a fresh sign-in of the session's user, with a new token. */
  readonly reauthenticate: () => Promise<Sessions.Session<A>>
  /** Returns the session if its user signed in within `maxAge`, or rejects with `ReauthenticationRequired`. */
  readonly requireRecentAuth: (maxAge: Duration.Input) => Promise<Sessions.Session<A>>
  /** Stores a message for the next request that calls `takeFlash`. */
  readonly flash: (message: string) => Promise<void>
  /** Returns the flash message, or `undefined`, and removes it. */
  readonly takeFlash: () => Promise<string | undefined>
  /** Lists the sessions of the signed-in user, the current one marked. Works in Server Components. */
  readonly list: () => Promise<ReadonlyArray<Sessions.SessionInfo>>
  /** Ends every session of the signed-in user, or every other one with `exceptCurrent`. */
  readonly revokeAll: (options?: { readonly exceptCurrent?: boolean }) => Promise<number>
  /** Ends one session of the signed-in user by its public id. */
  readonly revoke: (sessionId: string) => Promise<boolean>
  /** The underlying manager, for code that has its own cookie jar. */
  readonly manager: SessionManager.SessionManager<A>
}

/**
 * Creates the Next.js session API. Call it once at module scope; it throws `SessionConfigError`
 * at start-up when the policy is unsafe.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(options: SessionManager.Options<A, I>): NextSessions<A> => {
  const manager = SessionManager.make(options)
  const jar = async (writable: boolean) => jarOf((await cookies()) as unknown as NextCookieStore, writable)

  return {
    read: async () => manager.read(await jar(false)),
    ensure: async () => manager.ensure(await jar(true)),
    update: async (f) => manager.update(await jar(true), f),
    destroy: async () => manager.destroy(await jar(true)),
    login: async (userId) => manager.login(await jar(true), userId),
    logout: async () => manager.destroy(await jar(true)),
    reauthenticate: async () => manager.reauthenticate(await jar(true)),
    requireRecentAuth: async (maxAge) => manager.requireRecentAuth(await jar(false), maxAge),
    flash: async (message) => manager.flash(await jar(true), message),
    takeFlash: async () => manager.takeFlash(await jar(true)),
    list: async () => manager.list(await jar(false)),
    revokeAll: async (revokeOptions) => {
      const current = await jar(true)
      const session = await manager.get(current)
      if (session.userId === undefined) return 0
      const others = await manager.revokeAll(session.userId, { except: current })
      if (revokeOptions?.exceptCurrent) return others
      // Ending the current session through destroy also clears this browser's cookie.
      await manager.destroy(current)
      return others + 1
    },
    revoke: async (sessionId) => manager.revoke(await jar(true), sessionId),
    manager
  }
}
