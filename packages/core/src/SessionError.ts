/**
 * The typed failures of session operations. Each is a tagged error, so Effect code handles them with
 * `Effect.catchTag` and Promise code with `instanceof` or `error._tag`.
 *
 * No error carries a token: messages and fields hold public session ids at most.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import { allowMessageAssignment } from "./internal/errorMessage.js"

/**
 * The request has no usable session: no cookie, or a malformed, unknown or corrupt one.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoSession extends Data.TaggedError("NoSession")<{
  readonly reason: "absent" | "malformed" | "unknown" | "corrupt" | "ambiguous"
}> {
  override get message(): string {
    return `No session: the session cookie is ${this.reason}. Call ensure to start a new session.`
  }
}

/**
 * The presented session passed its idle or absolute deadline.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionExpired extends Data.TaggedError("SessionExpired")<{
  readonly reason: "idle" | "absolute"
  readonly sessionId: string
}> {
  override get message(): string {
    return `Session ${this.sessionId} expired (${this.reason} timeout). Call ensure to start a new session.`
  }
}

/**
 * The operation needs a sign-in more recent than the session has.
 *
 * @since 0.1.0
 * @category errors
 */
export class ReauthenticationRequired extends Data.TaggedError("ReauthenticationRequired")<{
  readonly sessionId: string
  /** Time of the last sign-in, or `undefined` for a session that never signed in. */
  readonly authenticatedAt: number | undefined
}> {
  override get message(): string {
    return `Session ${this.sessionId} must sign in again for this operation.`
  }
}

/**
 * The store failed or did not respond in time. Never treated as "no session": nothing is minted and
 * no cookie is changed.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{
  readonly operation: "get" | "insert" | "update" | "delete" | "listByUser"
  readonly cause: unknown
}> {
  override get message(): string {
    return `Session store unavailable during ${this.operation}: ${describe(this.cause)}`
  }
}

/**
 * Concurrent writers kept changing the session, and the update gave up after its retries.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionConflict extends Data.TaggedError("SessionConflict")<{
  readonly sessionId: string
  readonly attempts: number
}> {
  override get message(): string {
    return `Session ${this.sessionId} changed concurrently on each of ${this.attempts} attempts; retry the request.`
  }
}

/**
 * The session was deleted (logout, revocation, expiry) while this request held it. Saving never
 * brings it back.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionGone extends Data.TaggedError("SessionGone")<{
  readonly sessionId: string
}> {
  override get message(): string {
    return `Session ${this.sessionId} was deleted by another request; it was not saved.`
  }
}

/**
 * The encoded session is larger than the policy's `maxSize`; nothing was written.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionTooLarge extends Data.TaggedError("SessionTooLarge")<{
  readonly size: number
  readonly maxSize: number
}> {
  override get message(): string {
    return `Session data encodes to ${this.size} bytes, over the maximum of ${this.maxSize}; nothing was saved.`
  }
}

/**
 * The session data does not encode with the app's Schema; nothing was written.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidSessionData extends Data.TaggedError("InvalidSessionData")<{
  readonly detail: string
}> {
  override get message(): string {
    return `Session data does not match its Schema: ${this.detail}`
  }
}

/**
 * The operation needs to set a cookie, and this context cannot (a Server Component render, for
 * example). Nothing was written.
 *
 * @since 0.1.0
 * @category errors
 */
export class CookieNotWritable extends Data.TaggedError("CookieNotWritable")<{
  readonly operation: string
}> {
  override get message(): string {
    return (
      `${this.operation} must set the session cookie, and this context is read-only. ` +
      "Call it from a Route Handler, a Server Action or proxy."
    )
  }
}

/**
 * A policy or cookie option is unsafe or invalid. Raised when the layer is built, naming the field.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionConfigError extends Data.TaggedError("SessionConfigError")<{
  readonly field: string
  readonly detail: string
}> {
  override get message(): string {
    return `Invalid session option ${this.field}: ${this.detail}`
  }
}

allowMessageAssignment(
  NoSession,
  SessionExpired,
  ReauthenticationRequired,
  StoreUnavailable,
  SessionConflict,
  SessionGone,
  SessionTooLarge,
  InvalidSessionData,
  CookieNotWritable,
  SessionConfigError
)

const describe = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unknown cause"
