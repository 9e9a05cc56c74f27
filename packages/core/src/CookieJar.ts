/**
 * The cookie port: how the session service reads and writes the session cookie of one request.
 * A framework adapter creates one jar per request (see `WebCookies` and `@seshat/adapters-next`).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Cookie from "./Cookie.js"
import type { CookieNotWritable } from "./SessionError.js"

/**
 * The session cookie of one request.
 *
 * @since 0.1.0
 * @category models
 */
export interface CookieJar {
  /**
   * Reads the cookie the request presented, or the value written earlier in the same request.
   * Synchronous, because it runs on every request and every adapter has the headers at hand.
   */
  readonly read: (name: string) => Cookie.CookieValue
  /**
   * Whether this context can send a `Set-Cookie`. A read-only jar (a Server Component render) never
   * receives a write: the service skips renewals and fails operations that need a new cookie.
   */
  readonly writable: boolean
  /**
   * The request this jar belongs to, when an adapter hands out several jars for one request (a
   * read-only and a writable view). Jars with the same scope share what the service loaded, so a
   * read after a write in the same request sees the write. Defaults to the jar itself.
   */
  readonly scope?: object | undefined
  /** Queues a write. A later write to the same name replaces an earlier one, so a response carries at most one. */
  readonly write: (options: Cookie.CookieOptions, write: Cookie.CookieWrite) => Effect.Effect<void, CookieNotWritable>
}
