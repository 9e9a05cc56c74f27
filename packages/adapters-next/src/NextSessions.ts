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
    manager
  }
}
