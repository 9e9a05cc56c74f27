/**
 * The cookie adapter for Web `Request` and `Response` objects: Node's `http` through a fetch
 * bridge, Deno, Bun, Cloudflare Workers, or any framework built on the Fetch API.
 *
 * ```ts
 * const jar = WebCookies.fromRequest(request)
 * const session = await sessions.ensure(jar)
 * return jar.applyTo(Response.json({ visits: session.data.visits }))
 * ```
 *
 * @since 0.1.0
 */
import type { CookieJar } from "./CookieJar.js"
import * as PendingWrites from "./internal/pendingWrites.js"
import { keepOthers } from "./internal/setCookie.js"
import { addVary } from "./internal/vary.js"

/**
 * A jar over one Web request that collects the response's `Set-Cookie`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebCookieJar extends CookieJar {
  /** The `Set-Cookie` header values queued so far, at most one per cookie name. */
  readonly setCookieHeaders: () => ReadonlyArray<string>
  /**
   * Adds the queued `Set-Cookie` headers to a response, with `Cache-Control: no-store` and
   * `Vary: Cookie` so no shared cache stores or replays a session cookie. A response that sets no
   * cookie is returned unchanged.
   */
  readonly applyTo: (response: Response) => Response
}

/**
 * Creates the jar of a request. `writable: false` gives a read-only jar, for code that must not
 * change cookies.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRequest = (request: Request, options: { readonly writable?: boolean } = {}): WebCookieJar => {
  const pending = PendingWrites.make(request.headers.get("cookie"))

  return {
    writable: options.writable ?? true,
    read: pending.read,
    write: pending.write,
    setCookieHeaders: pending.setCookieHeaders,
    applyTo: (response) => {
      const names = pending.names()
      if (names.size === 0) return response
      // Headers of some responses (Response.redirect, fetch results) are immutable, so write a copy.
      const headers = new Headers(response.headers)
      const otherCookies = keepOthers(headers.getSetCookie(), names)
      headers.delete("set-cookie")
      for (const value of otherCookies) headers.append("set-cookie", value)
      for (const value of pending.setCookieHeaders()) headers.append("set-cookie", value)
      headers.set("cache-control", "no-store")
      const vary = addVary(headers.get("vary") ?? undefined, "Cookie")
      if (vary !== undefined) headers.set("vary", vary)
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
    }
  }
}
