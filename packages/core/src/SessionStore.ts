/**
 * The storage port. A store keeps encoded session records under the SHA-256 key of their token and
 * guards every overwrite with a version number, so concurrent requests never lose each other's
 * updates silently.
 *
 * An adapter implements the five primitives below; the session service builds everything else on
 * them. `@seshat/core/testing` holds the suite that every store must pass.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { allowMessageAssignment } from "./internal/errorMessage.js"

/**
 * One stored session.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredSession {
  /** SHA-256 of the token, base64url. Never the token itself. */
  readonly key: string
  /** Public session id. */
  readonly sessionId: string
  readonly userId: string | undefined
  /** Version for compare-and-set: 1 on insert, one more on each update. */
  readonly version: number
  /**
   * Epoch milliseconds after which the store may drop the record. Clean-up only: the core decides
   * expiry from the timestamps inside the record.
   */
  readonly expiresAt: number
  /**
   * Epoch milliseconds that no renewal can move `expiresAt` past: the absolute deadline plus the
   * retention time. A store sizes its user index by it. Defaults to `expiresAt` when missing.
   */
  readonly deadline?: number | undefined
  /** The encoded record. */
  readonly value: string
}

/**
 * The reason a store call failed.
 *
 * - `Unavailable`: the backend failed or timed out. The core never reads this as "no session".
 * - `Conflict`: an update found another version than the one it expected.
 * - `Gone`: an update found no record (deleted or expired meanwhile).
 * - `Collision`: an insert found a live record under the same key.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly reason: "Unavailable" | "Conflict" | "Gone" | "Collision"
  readonly cause?: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? `: ${this.cause.message}` : ""
    return `Session store ${this.reason.toLowerCase()}${detail}`
  }
}

allowMessageAssignment(StoreError)

/**
 * The storage port.
 *
 * @since 0.1.0
 * @category services
 */
export class SessionStore extends Context.Service<
  SessionStore,
  {
    /** Reads a live record; an expired or missing one gives `None`. */
    readonly get: (key: string) => Effect.Effect<Option.Option<StoredSession>, StoreError>
    /** Writes a new record with version 1. Fails with `Collision` if a live record has the key. */
    readonly insert: (session: StoredSession) => Effect.Effect<void, StoreError>
    /**
     * Replaces a record if its stored version is `session.version - 1`. Fails with `Conflict` on
     * another version and with `Gone` when no live record exists, so an update never recreates a
     * deleted session.
     */
    readonly update: (session: StoredSession) => Effect.Effect<void, StoreError>
    /**
     * Deletes a record; deleting a missing key succeeds. With `version`, deletes only that version
     * and fails with `Conflict` on another one and with `Gone` when no live record exists, which
     * makes a rotation atomic: of two requests rotating the same session, one wins.
     */
    readonly delete: (key: string, version?: number) => Effect.Effect<void, StoreError>
    /**
     * Lists the live records of a user, in no particular order. Expired and deleted records are
     * not returned, and the store drops them from its index.
     */
    readonly listByUser: (userId: string) => Effect.Effect<ReadonlyArray<StoredSession>, StoreError>
    /**
     * Whether every call of this store ends by itself within a bounded time: an in-process store
     * that cannot hang, or a client that enforces its own command timeout. The service then adds no
     * timeout of its own, which costs more than an in-process call. Leave it unset for a store whose
     * calls can wait forever.
     */
    readonly enforcesTimeout?: boolean | undefined
  }
>()("@seshat/core/SessionStore") {}
