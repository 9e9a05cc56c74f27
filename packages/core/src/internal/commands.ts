import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { CookieJar } from "../CookieJar.js"
import { FoundInCookie } from "./cookieToken.js"
import type { Policy } from "../Policy.js"
import { type CookieNotWritable, InvalidSessionData, SessionTooLarge, StoreUnavailable } from "../SessionError.js"
import type * as Machine from "../SessionMachine.js"
import * as SessionRecord from "../SessionRecord.js"
import { StoreError, type SessionStore, type StoredSession } from "../SessionStore.js"

/** Errors a command can end with. `StoreError` here never has the reason `Unavailable`. */
export type CommandError = StoreError | StoreUnavailable | SessionTooLarge | InvalidSessionData | CookieNotWritable

/** Runs the state machine's commands through the store and cookie ports, and decodes stored records. */
export const make = <A>(policy: Policy, store: SessionStore["Service"], codec: SessionRecord.Codec<A>) => {
  // Every store call gets the policy's deadline, and an outage becomes `StoreUnavailable`, which no
  // caller reads as "no session".
  const timeout = <X>(effect: Effect.Effect<X, StoreError>) =>
    store.enforcesTimeout === true
      ? effect
      : Effect.timeoutOrElse(effect, {
          duration: policy.storeTimeoutMs,
          orElse: () =>
            Effect.fail(
              new StoreError({ reason: "Unavailable", cause: new Error(`timed out after ${policy.storeTimeoutMs} ms`) })
            )
        })

  // During an outage every request fails the same way, so the warning is logged once per interval
  // with the count of failures it stands for, rather than once per request.
  let lastWarningAt = Number.NEGATIVE_INFINITY
  let unreported = 0
  const warnUnavailable = (operation: StoreUnavailable["operation"], cause: unknown) =>
    Effect.clockWith((clock) => {
      const now = clock.currentTimeMillisUnsafe()
      unreported++
      if (now - lastWarningAt < OUTAGE_LOG_INTERVAL_MS) return Effect.void
      const failures = unreported
      lastWarningAt = now
      unreported = 0
      return Effect.logWarning("session store unavailable").pipe(
        Effect.annotateLogs({ operation, cause: describeCause(cause), failures })
      )
    })

  const unavailable = (operation: StoreUnavailable["operation"], cause: unknown) =>
    Effect.andThen(warnUnavailable(operation, cause), Effect.fail(new StoreUnavailable({ operation, cause })))

  const call = <X>(operation: StoreUnavailable["operation"], effect: Effect.Effect<X, StoreError>) =>
    timeout(effect).pipe(
      Effect.catch(
        (error): Effect.Effect<never, StoreError | StoreUnavailable> =>
          error.reason === "Unavailable" ? unavailable(operation, error.cause) : Effect.fail(error)
      )
    )

  // Reads fail only with `Unavailable`, so another store reason here is a bug in the adapter. One
  // handler serves every read, because `Effect.catch` would allocate two closures per call and
  // every request reads. A cause with a defect passes through, as with `Effect.catch`.
  const onGetFailure = (cause: Cause.Cause<StoreError>): Effect.Effect<never, StoreUnavailable> => {
    const error = Cause.findError(cause)
    if (Result.isFailure(error) || Cause.hasDies(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    return error.success.reason === "Unavailable" ? unavailable("get", error.success.cause) : Effect.die(error.success)
  }

  const get = (key: string): Effect.Effect<Option.Option<StoredSession>, StoreUnavailable> =>
    Effect.catchCause(timeout(store.get(key)), onGetFailure)

  const listByUser = (userId: string) =>
    call("listByUser", store.listByUser(userId)).pipe(Effect.catchTag("StoreError", Effect.die))

  const toStored = (
    key: string,
    record: SessionRecord.SessionRecord<A>,
    version: number
  ): Result.Result<StoredSession, InvalidSessionData | SessionTooLarge> => {
    const encoded = codec.encode(record)
    if (Result.isFailure(encoded)) return Result.fail(new InvalidSessionData({ detail: encoded.failure }))
    const size = byteLength(encoded.success)
    if (size > policy.maxSize) return Result.fail(new SessionTooLarge({ size, maxSize: policy.maxSize }))
    return Result.succeed({
      key,
      sessionId: record.id,
      userId: record.userId,
      version,
      expiresAt: SessionRecord.expiresAt(record) + policy.expiredRetentionMs,
      deadline: record.absoluteExpiresAt + policy.expiredRetentionMs,
      value: encoded.success
    })
  }

  // Every record is encoded and size-checked before the first command runs. A record that is too
  // large or does not encode then fails the operation before anything changed.
  const prepare = (
    command: Machine.Command<A>
  ): Result.Result<StoredSession | undefined, InvalidSessionData | SessionTooLarge> => {
    switch (command._tag) {
      case "InsertRecord":
        return toStored(command.key, command.record, 1)
      case "UpdateRecord":
        return toStored(command.key, command.record, command.version)
      default:
        return Result.succeed(undefined)
    }
  }

  const runCommand = (
    jar: CookieJar,
    command: Machine.Command<A>,
    stored: StoredSession | undefined
  ): Effect.Effect<void, CommandError> => {
    switch (command._tag) {
      case "InsertRecord":
        return call("insert", store.insert(stored!))
      case "UpdateRecord":
        return call("update", store.update(stored!))
      case "DeleteRecord":
        return call("delete", store.delete(command.key, command.version))
      case "SetCookie":
        return jar.write(policy.cookie, command.write)
      case "ClearCookie":
        return jar.write(policy.cookie, { _tag: "Clear" })
    }
  }

  const run = (jar: CookieJar, commands: ReadonlyArray<Machine.Command<A>>): Effect.Effect<void, CommandError> => {
    const prepared: Array<StoredSession | undefined> = []
    for (const command of commands) {
      const stored = prepare(command)
      if (Result.isFailure(stored)) return Effect.fail(stored.failure)
      prepared.push(stored.success)
    }
    const steps = Effect.forEach(commands, (command, i) => runCommand(jar, command, prepared[i]), { discard: true })
    const insert = commands.find((command) => command._tag === "InsertRecord")
    if (insert === undefined) return steps
    // A failed operation leaves no record it may have written: a rotation that lost to a concurrent
    // one, or whose insert timed out and may still land, takes the new record back. A collision
    // means the key holds another session's record, which is not this operation's to delete.
    return Effect.tapError(steps, (error) =>
      error._tag === "StoreError" && error.reason === "Collision" ? Effect.void : undo(insert.key)
    )
  }

  // NOTE: during an outage the undo fails too, and the new record stays until its TTL. No cookie
  // carries its token, so it is never served, but it is listed among the user's sessions until then.
  const undo = (key: string) => Effect.ignore(timeout(store.delete(key, 1)))

  // Decodes a stored record and checks that it belongs to the session the store filed it under.
  const decodeStored = (stored: StoredSession): SessionRecord.SessionRecord<A> | undefined => {
    const record = codec.decode(stored.value)
    return Result.isSuccess(record) && record.success.id === stored.sessionId ? record.success : undefined
  }

  const decode = (stored: StoredSession, token: Redacted.Redacted<string>): Machine.Observation<A> => {
    const record = decodeStored(stored)
    if (record === undefined) return { _tag: "Corrupt", key: stored.key, sessionId: stored.sessionId }
    return { _tag: "Found", key: stored.key, token, record, version: stored.version }
  }

  /** Decodes a record found for the token of the request's cookie, which stays unwrapped. */
  const decodeFromCookie = (stored: StoredSession, token: string): Machine.Observation<A> => {
    const record = decodeStored(stored)
    if (record === undefined) return { _tag: "Corrupt", key: stored.key, sessionId: stored.sessionId }
    return new FoundInCookie(stored.key, token, record, stored.version)
  }

  /** Decodes a record without a token, for listings; corrupt records give `None`. */
  const decodeRecord = (stored: StoredSession): Option.Option<SessionRecord.SessionRecord<A>> => {
    const record = decodeStored(stored)
    return record === undefined ? Option.none() : Option.some(record)
  }

  return { call, get, listByUser, run, decode, decodeFromCookie, decodeRecord }
}

const OUTAGE_LOG_INTERVAL_MS = 10_000

/**
 * Describes the cause of a store failure for a log line: the messages along the `cause` chain,
 * because client errors often wrap the error that names the reason (a refused connection, a timeout).
 */
export const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current = cause
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (typeof current !== "object") {
      parts.push(String(current))
      break
    }
    const { message, _tag } = current as { message?: unknown; _tag?: unknown }
    const text = typeof message === "string" && message !== "" ? message : typeof _tag === "string" ? _tag : ""
    if (text !== "" && !parts.includes(text)) parts.push(text)
    current = (current as { cause?: unknown }).cause
  }
  return parts.length === 0 ? "unknown" : parts.join(": ")
}

/** Counts the UTF-8 bytes of a string without allocating. */
export const byteLength = (text: string): number => {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) continue
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is two UTF-16 units and four UTF-8 bytes.
      bytes += 2
      i++
    } else {
      bytes += code >= 0x800 ? 2 : 1
    }
  }
  return bytes
}
