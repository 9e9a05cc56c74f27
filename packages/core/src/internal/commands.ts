import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { CookieJar } from "../CookieJar.js"
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

  const call = <X>(operation: StoreUnavailable["operation"], effect: Effect.Effect<X, StoreError>) =>
    timeout(effect).pipe(
      Effect.catch(
        (error): Effect.Effect<never, StoreError | StoreUnavailable> =>
          error.reason === "Unavailable"
            ? Effect.logWarning("session store unavailable").pipe(
                Effect.annotateLogs({ operation, cause: String(error.cause) }),
                Effect.andThen(Effect.fail(new StoreUnavailable({ operation, cause: error.cause })))
              )
            : Effect.fail(error)
      )
    )

  // Reads fail only with `Unavailable`; another store reason here is a bug in the adapter.
  const get = (key: string) => call("get", store.get(key)).pipe(Effect.catchTag("StoreError", Effect.die))

  const listByUser = (userId: string) =>
    call("listByUser", store.listByUser(userId)).pipe(Effect.catchTag("StoreError", Effect.die))

  const toStored = (
    key: string,
    record: SessionRecord.SessionRecord<A>,
    version: number
  ): Effect.Effect<StoredSession, InvalidSessionData | SessionTooLarge> => {
    const encoded = codec.encode(record)
    if (Result.isFailure(encoded)) return Effect.fail(new InvalidSessionData({ detail: encoded.failure }))
    const size = byteLength(encoded.success)
    if (size > policy.maxSize) return Effect.fail(new SessionTooLarge({ size, maxSize: policy.maxSize }))
    const stored: StoredSession = {
      key,
      sessionId: record.id,
      userId: record.userId,
      version,
      expiresAt: SessionRecord.expiresAt(record) + policy.expiredRetentionMs,
      deadline: record.absoluteExpiresAt + policy.expiredRetentionMs,
      value: encoded.success
    }
    return Effect.succeed(stored)
  }

  const runCommand = (jar: CookieJar, command: Machine.Command<A>): Effect.Effect<void, CommandError> => {
    switch (command._tag) {
      case "InsertRecord":
        return Effect.flatMap(toStored(command.key, command.record, 1), (stored) =>
          call("insert", store.insert(stored))
        )
      case "UpdateRecord":
        return Effect.flatMap(toStored(command.key, command.record, command.version), (stored) =>
          call("update", store.update(stored))
        )
      case "DeleteRecord":
        return call("delete", store.delete(command.key, command.version))
      case "SetCookie":
        return jar.write(policy.cookie, command.write)
      case "ClearCookie":
        return jar.write(policy.cookie, { _tag: "Clear" })
    }
  }

  const run = (jar: CookieJar, commands: ReadonlyArray<Machine.Command<A>>) =>
    Effect.forEach(commands, (command) => runCommand(jar, command), { discard: true })

  const decode = (stored: StoredSession, token: Redacted.Redacted<string>): Machine.Observation<A> => {
    const record = codec.decode(stored.value)
    if (Result.isFailure(record) || record.success.id !== stored.sessionId) {
      return { _tag: "Corrupt", key: stored.key, sessionId: stored.sessionId }
    }
    return { _tag: "Found", key: stored.key, token, record: record.success, version: stored.version }
  }

  /** Decodes a record without a token, for listings; corrupt records give `None`. */
  const decodeRecord = (stored: StoredSession) => {
    const record = codec.decode(stored.value)
    return Result.isSuccess(record) && record.success.id === stored.sessionId
      ? Option.some(record.success)
      : Option.none()
  }

  return { call, get, listByUser, run, decode, decodeRecord }
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
