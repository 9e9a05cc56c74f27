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
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Cookie from "./Cookie.js"
import type { CookieJar } from "./CookieJar.js"
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
  const header = request.headers.get("cookie")
  const pending = new Map<string, { readonly options: Cookie.CookieOptions; readonly write: Cookie.CookieWrite }>()

  return {
    writable: options.writable ?? true,
    read: (name) => {
      const written = pending.get(name)
      if (written === undefined) return Cookie.read(header, name)
      return written.write._tag === "Set"
        ? { _tag: "Present", value: Redacted.value(written.write.value) }
        : { _tag: "Missing" }
    },
    write: (cookieOptions, write) =>
      Effect.sync(() => {
        pending.set(cookieOptions.name, { options: cookieOptions, write })
      }),
    setCookieHeaders: () => Array.from(pending.values(), ({ options, write }) => Cookie.serialize(options, write)),
    applyTo: (response) => {
      if (pending.size === 0) return response
      // Headers of some responses (Response.redirect, fetch results) are immutable, so write a copy.
      const headers = new Headers(response.headers)
      const kept = keepOthers(headers.getSetCookie(), new Set(pending.keys()))
      headers.delete("set-cookie")
      for (const value of kept) headers.append("set-cookie", value)
      for (const { options, write } of pending.values()) {
        headers.append("set-cookie", Cookie.serialize(options, write))
      }
      headers.set("cache-control", "no-store")
      const vary = addVary(headers.get("vary") ?? undefined, "Cookie")
      if (vary !== undefined) headers.set("vary", vary)
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
    }
  }
}
