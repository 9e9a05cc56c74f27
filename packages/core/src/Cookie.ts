/**
 * The session cookie: its options, how it is read from a `Cookie` header and how a `Set-Cookie`
 * header is written. Pure functions, shared by every framework adapter.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { SessionConfigError } from "./SessionError.js"

/**
 * Attributes of the session cookie. `HttpOnly` is always set and not an option.
 *
 * @since 0.1.0
 * @category models
 */
export interface CookieOptions {
  readonly name: string
  readonly path: string
  readonly domain: string | undefined
  readonly secure: boolean
  readonly sameSite: "lax" | "strict" | "none"
}

/**
 * Secure defaults: a `__Host-` name, `Secure`, `SameSite=Lax`, `Path=/` and no `Domain`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: CookieOptions = {
  name: "__Host-seshat",
  path: "/",
  domain: undefined,
  secure: true,
  sameSite: "lax"
}

/**
 * Browsers cap a cookie's lifetime at 400 days (RFC 6265bis), so a longer Max-Age is never sent.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_AGE_LIMIT_SECONDS = 400 * 24 * 60 * 60

/**
 * The session cookie a request presented.
 *
 * `Duplicate` means the name appeared more than once (a sibling domain or a deeper path can plant a
 * second cookie), which the core treats as no session rather than guessing which one is genuine.
 *
 * @since 0.1.0
 * @category models
 */
export type CookieValue =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Present"; readonly value: string }
  | { readonly _tag: "Duplicate" }

/**
 * A change to the session cookie that a response must carry.
 *
 * @since 0.1.0
 * @category models
 */
export type CookieWrite =
  | {
      readonly _tag: "Set"
      readonly value: Redacted.Redacted<string>
      readonly maxAgeSeconds: number
      readonly expiresAt: number
    }
  | { readonly _tag: "Clear" }

const missing: CookieValue = { _tag: "Missing" }
const duplicate: CookieValue = { _tag: "Duplicate" }

/**
 * Finds the session cookie in a `Cookie` header. The name matches exactly and case-sensitively.
 *
 * Pairs are split on `;` only. Splitting on `,` as well would read a cookie planted by a sibling
 * subdomain, such as `lang=en,__Host-seshat=T`, as the session cookie `T`. HTTP/2 servers join split
 * `Cookie` lines with `; `, as do Node's HTTP/1.1 server and Fetch, so no comma joining reaches here.
 *
 * @since 0.1.0
 * @category parsing
 */
export const read = (header: string | null | undefined, name: string): CookieValue => {
  if (!header) return missing

  let found: string | undefined
  let start = 0
  // The first `=` at or after `start`. It is searched for again only once a pair has passed it, so
  // a header of many pairs without `=` costs one scan, not one per pair.
  let equals = header.indexOf("=")
  while (equals !== -1) {
    const semicolon = header.indexOf(";", start)
    const end = semicolon === -1 ? header.length : semicolon
    // A pair whose text before `=` is shorter than the name cannot match, so it is not sliced.
    if (equals < end && equals - start >= name.length && header.slice(start, equals).trim() === name) {
      if (found !== undefined) return duplicate
      found = header.slice(equals + 1, end).trim()
    }
    if (semicolon === -1) break
    start = end + 1
    if (equals < start) equals = header.indexOf("=", start)
  }
  return found === undefined || found === "" ? missing : { _tag: "Present", value: found }
}

/**
 * Serializes a cookie write as a `Set-Cookie` header value. A clear uses the same name, Path and
 * Domain as the cookie it replaces, an empty value, `Max-Age=0` and an `Expires` in the past.
 *
 * @since 0.1.0
 * @category serialization
 */
export const serialize = (options: CookieOptions, write: CookieWrite): string => {
  const value = write._tag === "Set" ? Redacted.value(write.value) : ""
  const maxAge = write._tag === "Set" ? write.maxAgeSeconds : 0
  const expires = write._tag === "Set" ? new Date(write.expiresAt) : new Date(0)
  let header = `${options.name}=${value}; Max-Age=${maxAge}; Expires=${expires.toUTCString()}; Path=${options.path}`
  if (options.domain !== undefined) header += `; Domain=${options.domain}`
  header += "; HttpOnly"
  if (options.secure) header += "; Secure"
  header += `; SameSite=${options.sameSite === "lax" ? "Lax" : options.sameSite === "strict" ? "Strict" : "None"}`
  return header
}

// RFC 6265 cookie-name is an HTTP token: visible ASCII without separators.
const cookieNameGrammar = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Path and Domain attribute values: visible ASCII without `;`.
const attributeGrammar = /^[\x21-\x3a\x3c-\x7e]+$/
const domainGrammar = /^\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/

/**
 * Checks cookie options against the cookie grammar and the `__Host-` and `__Secure-` prefix rules.
 *
 * An insecure cookie is accepted only with `allowInsecure`, an explicit switch for plain-HTTP
 * development.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (
  options: CookieOptions,
  allowInsecure: boolean
): Result.Result<CookieOptions, SessionConfigError> => {
  const fail = (field: string, detail: string) => Result.fail(new SessionConfigError({ field, detail }))

  if (!cookieNameGrammar.test(options.name)) {
    return fail("cookie.name", `"${options.name}" is not a valid cookie name (letters, digits and !#$%&'*+-.^_\`|~)`)
  }
  if (!options.path.startsWith("/") || !attributeGrammar.test(options.path)) {
    return fail("cookie.path", "must start with / and contain only visible ASCII characters other than ;")
  }
  if (options.domain !== undefined && !domainGrammar.test(options.domain)) {
    return fail("cookie.domain", `"${options.domain}" is not a valid domain name`)
  }
  if (options.sameSite !== "lax" && options.sameSite !== "strict" && options.sameSite !== "none") {
    return fail("cookie.sameSite", `must be "lax", "strict" or "none", got "${String(options.sameSite)}"`)
  }
  if (options.sameSite === "none" && !options.secure) {
    return fail("cookie.sameSite", `"none" requires secure: true, because browsers reject it otherwise`)
  }
  const lower = options.name.toLowerCase()
  if (lower.startsWith("__host-")) {
    if (!options.name.startsWith("__Host-")) return fail("cookie.name", "the prefix must be written __Host-")
    if (!options.secure) return fail("cookie.secure", "a __Host- cookie requires secure: true")
    if (options.path !== "/") return fail("cookie.path", "a __Host- cookie requires path /")
    if (options.domain !== undefined) return fail("cookie.domain", "a __Host- cookie must not set a domain")
  }
  if (lower.startsWith("__secure-")) {
    if (!options.name.startsWith("__Secure-")) return fail("cookie.name", "the prefix must be written __Secure-")
    if (!options.secure) return fail("cookie.secure", "a __Secure- cookie requires secure: true")
  }
  if (!options.secure && !allowInsecure) {
    return fail(
      "cookie.secure",
      "false sends the session over plain HTTP; set allowInsecureCookie: true to allow it in development"
    )
  }
  return Result.succeed(options)
}
