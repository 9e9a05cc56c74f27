/**
 * The session state machine, as pure functions. `observe` turns what a request presented (cookie and
 * stored record) into a state, and `transition` takes a state, an event and the time to the next
 * state plus the commands the ports must run. Nothing here performs effects, which is what lets
 * property tests drive it directly.
 *
 * The `table` at the end lists every state, event and outcome; docs/state-machine.md draws it.
 *
 * @since 0.1.0
 */
import type * as Redacted from "effect/Redacted"
import * as Cookie from "./Cookie.js"
import { FoundInCookie } from "./internal/cookieToken.js"
import type { Policy } from "./Policy.js"
import type { SessionRecord } from "./SessionRecord.js"

/**
 * The reason a presented cookie gave no session.
 *
 * @since 0.1.0
 * @category models
 */
export type InvalidReason = "malformed" | "unknown" | "corrupt" | "ambiguous"

/**
 * The deadline an expired session passed.
 *
 * @since 0.1.0
 * @category models
 */
export type ExpiryReason = "idle" | "absolute"

/**
 * The session state of one request.
 *
 * - `Absent`: no session cookie came in.
 * - `Active`: a valid session; `token` is the one in the cookie (or the new one after a create).
 * - `Expired`: the cookie named a session past a deadline.
 * - `Invalid`: the cookie was malformed, unknown, ambiguous or named a corrupt record.
 *
 * @since 0.1.0
 * @category models
 */
export type State<A> =
  | { readonly _tag: "Absent" }
  | {
      readonly _tag: "Active"
      readonly key: string
      readonly token: Redacted.Redacted<string>
      readonly record: SessionRecord<A>
      readonly version: number
    }
  | { readonly _tag: "Expired"; readonly reason: ExpiryReason; readonly sessionId: string }
  | { readonly _tag: "Invalid"; readonly reason: InvalidReason }

/**
 * The evidence a request presented: its cookie and, for a well-formed token, the stored record.
 *
 * @since 0.1.0
 * @category models
 */
export type Observation<A> =
  | { readonly _tag: "NoCookie" }
  | { readonly _tag: "Ambiguous" }
  | { readonly _tag: "Malformed" }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Corrupt"; readonly key: string; readonly sessionId: string }
  | {
      readonly _tag: "Found"
      readonly key: string
      readonly token: Redacted.Redacted<string>
      readonly record: SessionRecord<A>
      readonly version: number
    }

/**
 * An operation the app requests on a session.
 *
 * - `Create`: start a session; the caller has generated the token, key and public id.
 * - `Touch`: record activity, renewing the sliding window when the renewal interval has passed.
 * - `Update`: replace the data.
 * - `Flash`: set or clear the flash message.
 * - `Rotate`: move the session to a new token: write the new record, then delete the old one. With `authenticate` it is a
 *   sign-in: `authenticatedAt` and both deadlines restart. When `userId` differs from the session's
 *   user, the data is replaced by `data` and the public id by `sessionId`, so nothing crosses users.
 * - `Destroy`: end the session (logout).
 *
 * @since 0.1.0
 * @category models
 */
export type Event<A> =
  | {
      readonly _tag: "Create"
      readonly token: Redacted.Redacted<string>
      readonly key: string
      readonly sessionId: string
      readonly data: A
      readonly userId?: string | undefined
    }
  | { readonly _tag: "Touch" }
  | { readonly _tag: "Update"; readonly data: A }
  | { readonly _tag: "Flash"; readonly message: string | undefined }
  | {
      readonly _tag: "Rotate"
      readonly token: Redacted.Redacted<string>
      readonly key: string
      readonly sessionId: string
      readonly userId: string | undefined
      readonly data: A
      readonly authenticate: boolean
    }
  | { readonly _tag: "Destroy" }

/**
 * A side effect for the ports to run, in order.
 *
 * @since 0.1.0
 * @category models
 */
export type Command<A> =
  | { readonly _tag: "InsertRecord"; readonly key: string; readonly record: SessionRecord<A> }
  | {
      readonly _tag: "UpdateRecord"
      readonly key: string
      readonly record: SessionRecord<A>
      /** Version the record gets; the store accepts it only over `version - 1`. */
      readonly version: number
    }
  | {
      readonly _tag: "DeleteRecord"
      readonly key: string
      readonly sessionId: string
      /** When set, the store deletes only this version, so a concurrent rotation cannot also win. */
      readonly version?: number | undefined
    }
  | { readonly _tag: "SetCookie"; readonly write: Cookie.CookieWrite }
  | { readonly _tag: "ClearCookie" }

/**
 * The next state and the commands that lead to it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transition<A> {
  readonly state: State<A>
  readonly commands: ReadonlyArray<Command<A>>
}

const absent: State<never> = { _tag: "Absent" }
const noCommands: ReadonlyArray<never> = Object.freeze([])
const stay = <A>(state: State<A>): Transition<A> => ({ state, commands: noCommands })

/**
 * Classifies what a request presented. An expired or corrupt record is deleted, so the next request
 * finds nothing; no cookie is written, because a request that only reads must not set one.
 *
 * @since 0.1.0
 * @category transitions
 */
export const observe = <A>(policy: Policy, observation: Observation<A>, now: number): Transition<A> => {
  switch (observation._tag) {
    case "NoCookie":
      return stay(absent)
    case "Ambiguous":
      return stay({ _tag: "Invalid", reason: "ambiguous" })
    case "Malformed":
      return stay({ _tag: "Invalid", reason: "malformed" })
    case "NotFound":
      return stay({ _tag: "Invalid", reason: "unknown" })
    case "Corrupt":
      return {
        state: { _tag: "Invalid", reason: "corrupt" },
        commands: [{ _tag: "DeleteRecord", key: observation.key, sessionId: observation.sessionId }]
      }
    case "Found": {
      const { record } = observation
      const drop = { _tag: "DeleteRecord", key: observation.key, sessionId: record.id } as const
      if (isStampedInFuture(policy, record, now)) {
        return { state: { _tag: "Invalid", reason: "corrupt" }, commands: [drop] }
      }
      if (now >= record.absoluteExpiresAt) {
        return { state: { _tag: "Expired", reason: "absolute", sessionId: record.id }, commands: [drop] }
      }
      if (now >= record.idleExpiresAt) {
        return { state: { _tag: "Expired", reason: "idle", sessionId: record.id }, commands: [drop] }
      }
      // An observation of a cookie keeps its token unwrapped in the state it becomes.
      if (observation instanceof FoundInCookie) return stay(observation.activate())
      return stay({
        _tag: "Active",
        key: observation.key,
        token: observation.token,
        record,
        version: observation.version
      })
    }
  }
}

// A record stamped later than the clock allows (plus the skew), or whose fields contradict each
// other, was not written by these rules. Stored deadlines are not compared with the current policy:
// a session keeps the deadlines it was given, even after the policy is shortened.
const isStampedInFuture = (policy: Policy, record: SessionRecord<unknown>, now: number): boolean => {
  const limit = now + policy.clockSkewMs
  return (
    record.createdAt > limit ||
    record.lastActivityAt > limit ||
    (record.authenticatedAt !== undefined && record.authenticatedAt > limit) ||
    record.lastActivityAt < record.createdAt ||
    record.idleExpiresAt > record.absoluteExpiresAt
  )
}

/**
 * Applies an event to a state. Total: an event that does not apply leaves the state as it is, with
 * no commands, and the service reports the typed error.
 *
 * @since 0.1.0
 * @category transitions
 */
export const transition = <A>(policy: Policy, state: State<A>, event: Event<A>, now: number): Transition<A> => {
  switch (event._tag) {
    case "Create": {
      if (state._tag === "Active") return stay(state)
      const absoluteExpiresAt = now + policy.absoluteTimeoutMs
      const record: SessionRecord<A> = {
        id: event.sessionId,
        userId: event.userId,
        data: event.data,
        createdAt: now,
        authenticatedAt: event.userId === undefined ? undefined : now,
        lastActivityAt: now,
        idleExpiresAt: Math.min(now + policy.idleTimeoutMs, absoluteExpiresAt),
        absoluteExpiresAt,
        flash: undefined
      }
      return {
        state: { _tag: "Active", key: event.key, token: event.token, record, version: 1 },
        commands: [
          { _tag: "InsertRecord", key: event.key, record },
          { _tag: "SetCookie", write: cookieFor(event.token, record, now) }
        ]
      }
    }
    case "Touch": {
      if (state._tag !== "Active" || !isRenewalDue(policy, state.record, now)) return stay(state)
      return write(state, renew(policy, state.record, now), now, true)
    }
    case "Update": {
      if (state._tag !== "Active") return stay(state)
      const due = isRenewalDue(policy, state.record, now)
      const base = due ? renew(policy, state.record, now) : state.record
      return write(state, { ...base, data: event.data }, now, due)
    }
    case "Flash": {
      if (state._tag !== "Active" || state.record.flash === event.message) return stay(state)
      return write(state, { ...state.record, flash: event.message }, now, false)
    }
    case "Rotate": {
      if (state._tag !== "Active") return stay(state)
      const previous = state.record
      // An anonymous session that signs in keeps its data, such as a cart. A session of one user that
      // signs in as another starts afresh, so nothing crosses from one user to another.
      const sameUser = previous.userId === undefined || event.userId === previous.userId
      const absoluteExpiresAt = event.authenticate ? now + policy.absoluteTimeoutMs : previous.absoluteExpiresAt
      const record: SessionRecord<A> = {
        id: sameUser ? previous.id : event.sessionId,
        userId: event.userId,
        data: sameUser ? previous.data : event.data,
        createdAt: sameUser ? previous.createdAt : now,
        authenticatedAt: authenticatedAt(event.authenticate, sameUser, previous, now),
        lastActivityAt: now,
        idleExpiresAt: Math.min(now + policy.idleTimeoutMs, absoluteExpiresAt),
        absoluteExpiresAt,
        flash: sameUser ? previous.flash : undefined
      }
      return {
        state: { _tag: "Active", key: event.key, token: event.token, record, version: 1 },
        // The new record goes first: if the store fails before the old one is deleted, the session
        // stays where it was instead of ending. The versioned delete decides which of two
        // concurrent rotations wins; the loser's new record is removed again.
        commands: [
          { _tag: "InsertRecord", key: event.key, record },
          { _tag: "DeleteRecord", key: state.key, sessionId: previous.id, version: state.version },
          { _tag: "SetCookie", write: cookieFor(event.token, record, now) }
        ]
      }
    }
    case "Destroy": {
      switch (state._tag) {
        case "Absent":
          return stay(state)
        case "Active":
          return {
            state: absent,
            commands: [{ _tag: "DeleteRecord", key: state.key, sessionId: state.record.id }, { _tag: "ClearCookie" }]
          }
        case "Expired":
        case "Invalid":
          return { state: absent, commands: [{ _tag: "ClearCookie" }] }
      }
    }
  }
}

const authenticatedAt = (
  authenticate: boolean,
  sameUser: boolean,
  previous: SessionRecord<unknown>,
  now: number
): number | undefined => {
  if (authenticate) return now
  return sameUser ? previous.authenticatedAt : undefined
}

/**
 * Whether a request at `now` should write new activity. Activity never moves backwards: a clock
 * that went back leaves the record as it is.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRenewalDue = (policy: Policy, record: SessionRecord<unknown>, now: number): boolean =>
  now - record.lastActivityAt >= policy.renewalIntervalMs && now > record.lastActivityAt

const renew = <A>(policy: Policy, record: SessionRecord<A>, now: number): SessionRecord<A> => ({
  ...record,
  lastActivityAt: now,
  idleExpiresAt: Math.min(now + policy.idleTimeoutMs, record.absoluteExpiresAt)
})

const write = <A>(
  state: Extract<State<A>, { _tag: "Active" }>,
  record: SessionRecord<A>,
  now: number,
  setCookie: boolean
): Transition<A> => {
  const version = state.version + 1
  const commands: Array<Command<A>> = [{ _tag: "UpdateRecord", key: state.key, record, version }]
  if (setCookie) commands.push({ _tag: "SetCookie", write: cookieFor(state.token, record, now) })
  // The fields are listed, not spread: a state loaded from a cookie provides `token` as a getter.
  return { state: { _tag: "Active", key: state.key, token: state.token, record, version }, commands }
}

/**
 * The cookie for a session: it lives until the idle deadline, which never passes the absolute one.
 *
 * @since 0.1.0
 * @category cookies
 */
export const cookieFor = (
  token: Redacted.Redacted<string>,
  record: SessionRecord<unknown>,
  now: number
): Cookie.CookieWrite => {
  const remaining = Math.min(record.idleExpiresAt, record.absoluteExpiresAt) - now
  const maxAgeSeconds = Math.max(0, Math.min(Math.floor(remaining / 1000), Cookie.MAX_AGE_LIMIT_SECONDS))
  return { _tag: "Set", value: token, maxAgeSeconds, expiresAt: now + maxAgeSeconds * 1000 }
}

/**
 * One row of the transition table.
 *
 * @since 0.1.0
 * @category table
 */
export interface Row {
  /** `Request` is the start of every request, before its cookie is observed. */
  readonly from: State<unknown>["_tag"] | "Request"
  readonly on: Event<unknown>["_tag"] | `Observe ${Observation<unknown>["_tag"]}`
  readonly when: string
  readonly to: State<unknown>["_tag"]
  readonly commands: ReadonlyArray<Command<unknown>["_tag"]>
}

/**
 * Every state, event and outcome, in one place. A test checks each row against `observe` and
 * `transition`, and another checks that docs/state-machine.md draws the same rows.
 *
 * @since 0.1.0
 * @category table
 */
export const table: ReadonlyArray<Row> = [
  { from: "Request", on: "Observe NoCookie", when: "no session cookie", to: "Absent", commands: [] },
  { from: "Request", on: "Observe Ambiguous", when: "the cookie name appears twice", to: "Invalid", commands: [] },
  { from: "Request", on: "Observe Malformed", when: "the value is not a token", to: "Invalid", commands: [] },
  { from: "Request", on: "Observe NotFound", when: "no record for the token", to: "Invalid", commands: [] },
  {
    from: "Request",
    on: "Observe Corrupt",
    when: "the record does not decode",
    to: "Invalid",
    commands: ["DeleteRecord"]
  },
  {
    from: "Request",
    on: "Observe Found",
    when: "a timestamp lies in the future",
    to: "Invalid",
    commands: ["DeleteRecord"]
  },
  {
    from: "Request",
    on: "Observe Found",
    when: "the absolute deadline passed",
    to: "Expired",
    commands: ["DeleteRecord"]
  },
  { from: "Request", on: "Observe Found", when: "the idle deadline passed", to: "Expired", commands: ["DeleteRecord"] },
  { from: "Request", on: "Observe Found", when: "both deadlines ahead", to: "Active", commands: [] },
  { from: "Absent", on: "Create", when: "always", to: "Active", commands: ["InsertRecord", "SetCookie"] },
  { from: "Expired", on: "Create", when: "always", to: "Active", commands: ["InsertRecord", "SetCookie"] },
  { from: "Invalid", on: "Create", when: "always", to: "Active", commands: ["InsertRecord", "SetCookie"] },
  { from: "Active", on: "Create", when: "always", to: "Active", commands: [] },
  { from: "Active", on: "Touch", when: "renewal due", to: "Active", commands: ["UpdateRecord", "SetCookie"] },
  { from: "Active", on: "Touch", when: "renewal not due", to: "Active", commands: [] },
  { from: "Active", on: "Update", when: "renewal due", to: "Active", commands: ["UpdateRecord", "SetCookie"] },
  { from: "Active", on: "Update", when: "renewal not due", to: "Active", commands: ["UpdateRecord"] },
  { from: "Active", on: "Flash", when: "the message changes", to: "Active", commands: ["UpdateRecord"] },
  { from: "Active", on: "Flash", when: "the message is unchanged", to: "Active", commands: [] },
  {
    from: "Active",
    on: "Rotate",
    when: "always",
    to: "Active",
    commands: ["InsertRecord", "DeleteRecord", "SetCookie"]
  },
  { from: "Active", on: "Destroy", when: "always", to: "Absent", commands: ["DeleteRecord", "ClearCookie"] },
  { from: "Expired", on: "Destroy", when: "always", to: "Absent", commands: ["ClearCookie"] },
  { from: "Invalid", on: "Destroy", when: "always", to: "Absent", commands: ["ClearCookie"] },
  { from: "Absent", on: "Destroy", when: "always", to: "Absent", commands: [] },
  { from: "Absent", on: "Touch", when: "always", to: "Absent", commands: [] },
  { from: "Expired", on: "Touch", when: "always", to: "Expired", commands: [] },
  { from: "Invalid", on: "Touch", when: "always", to: "Invalid", commands: [] },
  { from: "Absent", on: "Update", when: "always (the service fails with NoSession)", to: "Absent", commands: [] },
  {
    from: "Expired",
    on: "Update",
    when: "always (the service fails with SessionExpired)",
    to: "Expired",
    commands: []
  },
  { from: "Invalid", on: "Update", when: "always (the service fails with NoSession)", to: "Invalid", commands: [] },
  { from: "Absent", on: "Flash", when: "always (the service fails with NoSession)", to: "Absent", commands: [] },
  { from: "Expired", on: "Flash", when: "always (the service fails with SessionExpired)", to: "Expired", commands: [] },
  { from: "Invalid", on: "Flash", when: "always (the service fails with NoSession)", to: "Invalid", commands: [] },
  { from: "Absent", on: "Rotate", when: "always (sign-in creates instead)", to: "Absent", commands: [] },
  { from: "Expired", on: "Rotate", when: "always (sign-in creates instead)", to: "Expired", commands: [] },
  { from: "Invalid", on: "Rotate", when: "always (sign-in creates instead)", to: "Invalid", commands: [] }
]
