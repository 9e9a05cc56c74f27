/**
 * The session policy: timeouts, renewal throttle, size limit and cookie options, validated once
 * when the session layer is built.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import * as Cookie from "./Cookie.js"
import { SessionConfigError } from "./SessionError.js"

/**
 * A validated policy. Durations are held in milliseconds because the hot path compares them with
 * epoch timestamps.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  /** Time without activity after which a session expires. */
  readonly idleTimeoutMs: number
  /** Time after creation or the last sign-in after which a session expires, whatever its activity. */
  readonly absoluteTimeoutMs: number
  /** Minimum time between two activity writes: a request renews the session only when this much has passed. */
  readonly renewalIntervalMs: number
  /** Maximum size of the encoded session record, in bytes. */
  readonly maxSize: number
  /**
   * Maximum time a stored timestamp may lie in the future before the record counts as corrupt. The
   * default, 15 minutes, lets sessions survive a server clock stepped back by NTP or after a VM
   * resumes. Within it, activity never moves backwards and nothing is extended.
   */
  readonly clockSkewMs: number
  /** Deadline for each store call; past it the operation fails with `StoreUnavailable`. */
  readonly storeTimeoutMs: number
  /**
   * How long the store keeps a record past its deadline, so a late request learns that its session
   * expired rather than that it is unknown. The core never serves such a record.
   */
  readonly expiredRetentionMs: number
  /** Maximum live sessions of one user; signing in past it ends the oldest. `undefined` sets no limit. */
  readonly maxSessionsPerUser: number | undefined
  /**
   * Number of attempts `update` makes when concurrent writers change the session. Every conflict
   * means another writer won, so `n` requests writing one session at once all succeed when this is
   * at least `n`. The default of 10 covers the six connections a browser opens to one host.
   */
  readonly maxUpdateAttempts: number
  readonly cookie: Cookie.CookieOptions
}

/**
 * Policy options as an app writes them. Every field has a default.
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyOptions {
  readonly idleTimeout?: Duration.Input | undefined
  readonly absoluteTimeout?: Duration.Input | undefined
  /**
   * At most one activity write per interval. Unset, it is a thirtieth of the idle timeout when
   * that is set or derived, and the preset's otherwise.
   */
  readonly renewalInterval?: Duration.Input | undefined
  readonly maxSize?: number | undefined
  readonly clockSkew?: Duration.Input | undefined
  readonly storeTimeout?: Duration.Input | undefined
  readonly expiredRetention?: Duration.Input | undefined
  readonly maxUpdateAttempts?: number | undefined
  readonly maxSessionsPerUser?: number | undefined
  readonly cookie?: Partial<Cookie.CookieOptions> | undefined
  /** Allows `cookie.secure: false`, for development over plain HTTP only. */
  readonly allowInsecureCookie?: boolean | undefined
}

/**
 * Long-lived sessions for consumer apps: 30 days idle with renewal at most once a day, ended after
 * 90 days whatever the activity. The 30-day sliding window follows Lucia's reference code, and the
 * one-day renewal interval follows better-auth's default `updateAge`.
 *
 * @since 0.1.0
 * @category presets
 */
export const consumer: PolicyOptions = {
  idleTimeout: Duration.days(30),
  absoluteTimeout: Duration.days(90),
  renewalInterval: Duration.days(1)
}

/**
 * OWASP ASVS 4.0.3 level 2 (requirement 3.3.2, from NIST SP 800-63B AAL2): 30 minutes idle and
 * 12 hours absolute. Renewal runs at most once a minute, so the idle window is exact to a minute.
 *
 * @since 0.1.0
 * @category presets
 */
export const asvsLevel2: PolicyOptions = {
  idleTimeout: Duration.minutes(30),
  absoluteTimeout: Duration.hours(12),
  renewalInterval: Duration.minutes(1)
}

/**
 * The policy used when an app passes no options: the consumer preset.
 *
 * @since 0.1.0
 * @category presets
 */
export const defaults: PolicyOptions = consumer

const DEFAULT_MAX_SIZE = 4096
const MAX_SIZE_LIMIT = 1024 * 1024

/**
 * Validates options and fills in defaults. Unsafe combinations fail with a `SessionConfigError`
 * that names the field.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: PolicyOptions = {}): Result.Result<Policy, SessionConfigError> => {
  // An option set to `undefined` selects the default, as its type promises, so undefined values
  // must not replace the defaults the way a plain spread would.
  const merged: { -readonly [K in keyof PolicyOptions]: PolicyOptions[K] } = { ...defaults }
  for (const [field, value] of Object.entries(options)) {
    if (value !== undefined) (merged as Record<string, unknown>)[field] = value
  }
  const fail = (field: string, detail: string) => Result.fail(new SessionConfigError({ field, detail }))

  // An absolute timeout shorter than the default idle timeout also ends sessions before they idle
  // out, so without an idle timeout of its own it caps the idle timeout instead of failing.
  const absolute = options.absoluteTimeout === undefined ? undefined : Duration.fromInput(options.absoluteTimeout)
  const defaultIdle = Duration.fromInput(merged.idleTimeout ?? 0)
  const idleFromAbsolute =
    options.idleTimeout === undefined &&
    absolute?._tag === "Some" &&
    defaultIdle._tag === "Some" &&
    Duration.isLessThan(absolute.value, defaultIdle.value)
  if (idleFromAbsolute) merged.idleTimeout = options.absoluteTimeout
  // Both presets renew at a thirtieth of their idle timeout, so an app that shortens the idle
  // timeout without naming a renewal interval gets the same proportion instead of an error.
  if (options.renewalInterval === undefined && (options.idleTimeout !== undefined || idleFromAbsolute)) {
    const idle = Duration.fromInput(merged.idleTimeout ?? 0)
    if (idle._tag === "Some") merged.renewalInterval = Duration.divideUnsafe(idle.value, 30)
  }
  const durations: Record<string, number> = {}
  const durationFields = [
    ["idleTimeout", merged.idleTimeout, undefined],
    ["absoluteTimeout", merged.absoluteTimeout, undefined],
    ["renewalInterval", merged.renewalInterval, undefined],
    ["clockSkew", merged.clockSkew, Duration.minutes(15)],
    ["storeTimeout", merged.storeTimeout, Duration.seconds(2)],
    ["expiredRetention", merged.expiredRetention, Duration.hours(1)]
  ] as const
  for (const [field, input, fallback] of durationFields) {
    const duration = Duration.fromInput(input ?? fallback!)
    if (duration._tag === "None") return fail(field, `"${String(input)}" is not a duration`)
    const ms = Duration.toMillis(duration.value)
    if (!Number.isFinite(ms) || ms < 0) return fail(field, "must be a finite, non-negative duration")
    durations[field] = ms
  }
  const idleTimeoutMs = durations.idleTimeout!
  const absoluteTimeoutMs = durations.absoluteTimeout!
  const renewalIntervalMs = durations.renewalInterval!
  const storeTimeoutMs = durations.storeTimeout!

  if (idleTimeoutMs <= 0) return fail("idleTimeout", "must be longer than zero")
  if (absoluteTimeoutMs < idleTimeoutMs) {
    return fail("absoluteTimeout", "must be at least idleTimeout, or sessions would end before they idle out")
  }
  if (renewalIntervalMs >= idleTimeoutMs) {
    return fail("renewalInterval", "must be shorter than idleTimeout, or active sessions would idle out")
  }
  if (storeTimeoutMs <= 0) return fail("storeTimeout", "must be longer than zero")

  const maxSize = merged.maxSize ?? DEFAULT_MAX_SIZE
  if (!Number.isInteger(maxSize) || maxSize < 64 || maxSize > MAX_SIZE_LIMIT) {
    return fail("maxSize", `must be a whole number of bytes from 64 to ${MAX_SIZE_LIMIT}, got ${maxSize}`)
  }
  const maxUpdateAttempts = merged.maxUpdateAttempts ?? 10
  if (!Number.isInteger(maxUpdateAttempts) || maxUpdateAttempts < 1 || maxUpdateAttempts > 100) {
    return fail("maxUpdateAttempts", `must be a whole number from 1 to 100, got ${maxUpdateAttempts}`)
  }

  const maxSessionsPerUser = merged.maxSessionsPerUser
  if (maxSessionsPerUser !== undefined && (!Number.isInteger(maxSessionsPerUser) || maxSessionsPerUser < 1)) {
    return fail("maxSessionsPerUser", `must be a whole number of at least 1, got ${maxSessionsPerUser}`)
  }

  const cookie = Cookie.validate({ ...Cookie.defaults, ...merged.cookie }, merged.allowInsecureCookie === true)
  if (Result.isFailure(cookie)) return Result.fail(cookie.failure)

  return Result.succeed({
    idleTimeoutMs,
    absoluteTimeoutMs,
    renewalIntervalMs,
    maxSize,
    clockSkewMs: durations.clockSkew!,
    storeTimeoutMs,
    expiredRetentionMs: durations.expiredRetention!,
    maxUpdateAttempts,
    maxSessionsPerUser,
    cookie: cookie.success
  })
}
