/**
 * The cookie adapter for Node's `http` module and the frameworks built on it, such as Express. It
 * reads the session cookie from an `IncomingMessage` and sets it on a `ServerResponse`, without
 * turning either into a Fetch `Request` or `Response`.
 *
 * ```ts
 * createServer(async (request, response) => {
 *   const jar = NodeCookies.fromIncoming(request)
 *   const session = await sessions.ensure(jar)
 *   jar.applyTo(response)
 *   response.end(JSON.stringify({ visits: session.data.visits }))
 * })
 * ```
 *
 * The request and response types list only the members this module uses, so the core imports nothing
 * from Node and Node's own objects fit them.
 *
 * @since 0.1.0
 */
import type { CookieJar } from "./CookieJar.js"
import * as PendingWrites from "./internal/pendingWrites.js"
import { keepOthers } from "./internal/setCookie.js"
import { addVary } from "./internal/vary.js"

/**
 * The part of Node's `IncomingMessage` that the jar reads. Node joins repeated `Cookie` lines with
 * `; `, so `headers.cookie` is a single string.
 *
 * @since 0.1.0
 * @category models
 */
export interface IncomingRequest {
  readonly headers: { readonly cookie?: string | undefined }
}

/**
 * The part of Node's `ServerResponse` that `applyTo` writes to.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutgoingResponse {
  readonly headersSent: boolean
  getHeader(name: string): number | string | ReadonlyArray<string> | undefined
  setHeader(name: string, value: string | ReadonlyArray<string>): unknown
}

/**
 * A jar over one Node request that collects the response's `Set-Cookie`.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeCookieJar extends CookieJar {
  /** The `Set-Cookie` header values queued so far, at most one per cookie name. */
  readonly setCookieHeaders: () => ReadonlyArray<string>
  /**
   * Adds the queued `Set-Cookie` headers to a response that has not sent its headers, after any it
   * already has, with `Cache-Control: no-store` and `Vary: Cookie` so no shared cache stores or
   * replays a session cookie. Without queued writes it changes nothing. Throws when the headers
   * were already sent, because the cookie would be lost.
   */
  readonly applyTo: (response: OutgoingResponse) => void
}

/**
 * Creates the jar of a request. `writable: false` gives a read-only jar, for code that must not
 * change cookies.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromIncoming = (
  request: IncomingRequest,
  options: { readonly writable?: boolean } = {}
): NodeCookieJar => {
  const pending = PendingWrites.make(request.headers.cookie)

  return {
    writable: options.writable ?? true,
    read: pending.read,
    write: pending.write,
    setCookieHeaders: pending.setCookieHeaders,
    applyTo: (response) => {
      const names = pending.names()
      if (names.size === 0) return
      if (response.headersSent) {
        throw new Error(
          "NodeCookies.applyTo: the response has already sent its headers, so the session cookie cannot be set. Call applyTo before writeHead, write or end."
        )
      }
      const otherCookies = keepOthers(headerValues(response.getHeader("set-cookie")), names)
      response.setHeader("set-cookie", [...otherCookies, ...pending.setCookieHeaders()])
      response.setHeader("cache-control", "no-store")
      const current = response.getHeader("vary")
      const vary = addVary(current === undefined ? undefined : headerValues(current).join(", "), "Cookie")
      if (vary !== undefined) response.setHeader("vary", vary)
    }
  }
}

const headerValues = (value: number | string | ReadonlyArray<string> | undefined): ReadonlyArray<string> => {
  if (value === undefined) return []
  return typeof value === "object" ? value : [String(value)]
}
