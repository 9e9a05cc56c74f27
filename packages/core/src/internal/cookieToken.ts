import * as Redacted from "effect/Redacted"
import type { SessionRecord } from "../SessionRecord.js"

// `Redacted.make` in Effect 4.1.5 adds every value to a process-wide `WeakMap`, which cost about a
// tenth of a session read with the memory store, most of it in garbage collection. A read that
// renews nothing never needs the token again after hashing it. So the classes below keep it in a
// private field, and wrap it in `Redacted` only when something reads `token`, such as a renewal that
// writes the cookie. Private fields stay out of `JSON.stringify`, `util.inspect`, Effect's log
// formatting and object spreads, so the raw token is never printed, as with `Redacted`.

// The token of a cookie, kept raw until something reads `token`.
class CookieToken {
  readonly #raw: string
  #token: Redacted.Redacted<string> | undefined

  constructor(raw: string) {
    this.#raw = raw
  }

  get token(): Redacted.Redacted<string> {
    this.#token ??= Redacted.make(this.#raw)
    return this.#token
  }

  protected rawToken(): string {
    return this.#raw
  }
}

/** A `Found` observation of a token read from the request's cookie. */
export class FoundInCookie<A> extends CookieToken {
  readonly _tag = "Found"

  constructor(
    readonly key: string,
    raw: string,
    readonly record: SessionRecord<A>,
    readonly version: number
  ) {
    super(raw)
  }

  /** Builds the active state of this observation without wrapping the token. */
  activate(): ActiveFromCookie<A> {
    return new ActiveFromCookie(this.key, this.rawToken(), this.record, this.version)
  }
}

/** An `Active` state whose token came from the request's cookie. */
export class ActiveFromCookie<A> extends CookieToken {
  readonly _tag = "Active"

  constructor(
    readonly key: string,
    raw: string,
    readonly record: SessionRecord<A>,
    readonly version: number
  ) {
    super(raw)
  }
}
