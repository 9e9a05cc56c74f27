/**
 * The session record: what the store keeps for one session, with the app's data encoded through
 * the app's Schema. Timestamps are UTC epoch milliseconds taken from the `Clock`.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"

/**
 * One session as the core sees it after decoding.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionRecord<A> {
  /** Public session id: safe to show in a device list, and unrelated to the token. */
  readonly id: string
  readonly userId: string | undefined
  readonly data: A
  readonly createdAt: number
  /** Time of the last sign-in, if the session belongs to a user. */
  readonly authenticatedAt: number | undefined
  readonly lastActivityAt: number
  readonly idleExpiresAt: number
  readonly absoluteExpiresAt: number
  /** A message kept for the next request that reads it, then dropped. */
  readonly flash: string | undefined
}

const isMillis = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0

const isOptional = <T>(value: unknown, guard: (value: unknown) => value is T): value is T | undefined =>
  value === undefined || guard(value)

const isString = (value: unknown): value is string => typeof value === "string"

/**
 * Builds the JSON codec of a record around the app's data Schema.
 *
 * The envelope (ids and timestamps) is checked by hand and only the app's data goes through its
 * Schema, because a record is decoded on every request and a Schema for the envelope would double
 * the cost. Only known fields are read, so extra or prototype keys in stored JSON change nothing.
 *
 * @since 0.1.0
 * @category schemas
 */
export const codec = <A, I>(data: Schema.Codec<A, I>) => {
  const decodeData = Schema.decodeUnknownResult(data)
  const encodeData = Schema.encodeResult(data)

  const decode = (text: string): Result.Result<SessionRecord<A>, string> => {
    let raw: Record<string, unknown>
    try {
      raw = JSON.parse(text)
    } catch {
      return Result.fail("the stored value is not JSON")
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return Result.fail("the stored value is not a JSON object")
    }
    if (
      !isString(raw.id) ||
      !isOptional(raw.userId, isString) ||
      !isMillis(raw.createdAt) ||
      !isOptional(raw.authenticatedAt, isMillis) ||
      !isMillis(raw.lastActivityAt) ||
      !isMillis(raw.idleExpiresAt) ||
      !isMillis(raw.absoluteExpiresAt) ||
      !isOptional(raw.flash, isString)
    ) {
      return Result.fail("the stored record has missing or mistyped fields")
    }
    const decoded = decodeData(raw.data)
    if (Result.isFailure(decoded)) return Result.fail(decoded.failure.message)
    return Result.succeed({
      id: raw.id,
      userId: raw.userId,
      data: decoded.success,
      createdAt: raw.createdAt,
      authenticatedAt: raw.authenticatedAt,
      lastActivityAt: raw.lastActivityAt,
      idleExpiresAt: raw.idleExpiresAt,
      absoluteExpiresAt: raw.absoluteExpiresAt,
      flash: raw.flash
    })
  }

  const encode = (record: SessionRecord<A>): Result.Result<string, string> => {
    const encoded = encodeData(record.data)
    if (Result.isFailure(encoded)) return Result.fail(encoded.failure.message)
    return Result.succeed(
      JSON.stringify({
        id: record.id,
        userId: record.userId,
        data: encoded.success,
        createdAt: record.createdAt,
        authenticatedAt: record.authenticatedAt,
        lastActivityAt: record.lastActivityAt,
        idleExpiresAt: record.idleExpiresAt,
        absoluteExpiresAt: record.absoluteExpiresAt,
        flash: record.flash
      })
    )
  }

  return {
    /** Decodes stored text. Any failure, from bad JSON to a wrong field type, gives a `Failure`. */
    decode,
    /** Encodes a record as stored text. Fails when the data does not encode with its Schema. */
    encode
  }
}

/**
 * The codec of a record for a given data type.
 *
 * @since 0.1.0
 * @category schemas
 */
export type Codec<A> = ReturnType<typeof codec<A, unknown>>

/**
 * The earliest deadline of a record: the moment it stops being valid unless renewed.
 *
 * @since 0.1.0
 * @category getters
 */
export const expiresAt = (record: SessionRecord<unknown>): number =>
  Math.min(record.idleExpiresAt, record.absoluteExpiresAt)
