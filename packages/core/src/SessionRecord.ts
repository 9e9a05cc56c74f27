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

const Millis = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))

/**
 * Builds the JSON codec of a record around the app's data Schema.
 *
 * @since 0.1.0
 * @category schemas
 */
export const codec = <A, I>(data: Schema.Codec<A, I>) => {
  const Record = Schema.Struct({
    id: Schema.String,
    userId: Schema.optionalKey(Schema.String),
    data,
    createdAt: Millis,
    authenticatedAt: Schema.optionalKey(Millis),
    lastActivityAt: Millis,
    idleExpiresAt: Millis,
    absoluteExpiresAt: Millis,
    flash: Schema.optionalKey(Schema.String)
  })
  const Json = Schema.fromJsonString(Record)
  const decodeJson = Schema.decodeUnknownResult(Json)
  const encodeJson = Schema.encodeResult(Json)
  const encodeData = Schema.encodeUnknownResult(data)

  return {
    /** Decodes stored text. Any failure, from bad JSON to a wrong field type, gives a `Failure`. */
    decode: (text: string): Result.Result<SessionRecord<A>, string> => {
      const decoded = decodeJson(text)
      if (Result.isFailure(decoded)) return Result.fail(decoded.failure.message)
      const value = decoded.success
      return Result.succeed({
        id: value.id,
        userId: value.userId,
        data: value.data,
        createdAt: value.createdAt,
        authenticatedAt: value.authenticatedAt,
        lastActivityAt: value.lastActivityAt,
        idleExpiresAt: value.idleExpiresAt,
        absoluteExpiresAt: value.absoluteExpiresAt,
        flash: value.flash
      })
    },
    /** Encodes a record as stored text. Fails when the data does not encode with its Schema. */
    encode: (record: SessionRecord<A>): Result.Result<string, string> => {
      const encoded = encodeJson({
        id: record.id,
        ...(record.userId === undefined ? {} : { userId: record.userId }),
        data: record.data,
        createdAt: record.createdAt,
        ...(record.authenticatedAt === undefined ? {} : { authenticatedAt: record.authenticatedAt }),
        lastActivityAt: record.lastActivityAt,
        idleExpiresAt: record.idleExpiresAt,
        absoluteExpiresAt: record.absoluteExpiresAt,
        ...(record.flash === undefined ? {} : { flash: record.flash })
      })
      return Result.isFailure(encoded) ? Result.fail(encoded.failure.message) : Result.succeed(encoded.success)
    },
    /** Checks that a data value encodes, without building a record. */
    validateData: (value: A): Result.Result<A, string> => {
      const encoded = encodeData(value)
      return Result.isFailure(encoded) ? Result.fail(encoded.failure.message) : Result.succeed(value)
    }
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
