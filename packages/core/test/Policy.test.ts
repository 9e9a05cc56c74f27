import * as Cookie from "@seshat/core/Cookie"
import * as Policy from "@seshat/core/Policy"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import { assert, describe, it } from "vitest"

const minute = 60_000
const hour = 60 * minute
const day = 24 * hour

// Durations read from environment variables arrive as strings that the types cannot check.
const fromEnv = (value: string) => value as Duration.Input

const succeed = (options?: Policy.PolicyOptions): Policy.Policy => {
  const result = Policy.make(options)
  if (Result.isFailure(result)) assert.fail(`expected a valid policy, got ${result.failure.message}`)
  return result.success
}

const failure = (options: Policy.PolicyOptions) => {
  const result = Policy.make(options)
  if (Result.isSuccess(result)) return assert.fail("expected a SessionConfigError")
  return result.failure
}

describe("Policy", () => {
  it("defaults are the consumer preset", () => {
    const policy = succeed()

    assert.strictEqual(policy.idleTimeoutMs, 30 * day)
    assert.strictEqual(policy.absoluteTimeoutMs, 90 * day)
    assert.strictEqual(policy.renewalIntervalMs, day)
    assert.strictEqual(policy.maxSize, 4096)
    assert.strictEqual(policy.clockSkewMs, 15 * minute)
    assert.strictEqual(policy.storeTimeoutMs, 2000)
    assert.strictEqual(policy.expiredRetentionMs, hour)
    assert.strictEqual(policy.maxUpdateAttempts, 10)
    assert.deepStrictEqual(policy.cookie, Cookie.defaults)
  })

  it("default cookie is secure", () => {
    const { cookie } = succeed()

    assert.strictEqual(cookie.name, "__Host-seshat")
    assert.strictEqual(cookie.path, "/")
    assert.isUndefined(cookie.domain)
    assert.isTrue(cookie.secure)
    assert.strictEqual(cookie.sameSite, "lax")
  })

  it("consumer preset timeouts", () => {
    const policy = succeed(Policy.consumer)

    assert.strictEqual(policy.idleTimeoutMs, 30 * day)
    assert.strictEqual(policy.absoluteTimeoutMs, 90 * day)
    assert.strictEqual(policy.renewalIntervalMs, day)
  })

  it("renewal follows a shortened idle timeout", () => {
    const shortened = succeed({ idleTimeout: "1 minute" })
    const explicit = succeed({ idleTimeout: "1 minute", renewalInterval: "10 seconds" })

    assert.strictEqual(shortened.renewalIntervalMs, 2 * 1000)
    assert.strictEqual(explicit.renewalIntervalMs, 10 * 1000)
  })

  it("a short absolute timeout caps the idle timeout", () => {
    const shortened = succeed({ absoluteTimeout: "1 minute" })
    const long = succeed({ absoluteTimeout: "365 days" })

    assert.strictEqual(shortened.idleTimeoutMs, minute)
    assert.strictEqual(shortened.renewalIntervalMs, 2 * 1000)
    assert.strictEqual(long.idleTimeoutMs, 30 * day)
    assert.strictEqual(long.renewalIntervalMs, day)
  })

  it("asvsLevel2 preset timeouts", () => {
    const policy = succeed(Policy.asvsLevel2)

    assert.strictEqual(policy.idleTimeoutMs, 30 * minute)
    assert.strictEqual(policy.absoluteTimeoutMs, 12 * hour)
    assert.strictEqual(policy.renewalIntervalMs, minute)
  })

  it("preset fields can be overridden", () => {
    const policy = succeed({ ...Policy.asvsLevel2, idleTimeout: "15 minutes", maxSize: 1024 })

    assert.strictEqual(policy.idleTimeoutMs, 15 * minute)
    assert.strictEqual(policy.absoluteTimeoutMs, 12 * hour)
    assert.strictEqual(policy.maxSize, 1024)
  })

  it("make accepts every duration form", () => {
    const policy = succeed({
      idleTimeout: "30 minutes",
      absoluteTimeout: Duration.hours(2),
      renewalInterval: 1000,
      clockSkew: "5 seconds",
      storeTimeout: Duration.millis(250),
      expiredRetention: "0 millis"
    })

    assert.strictEqual(policy.idleTimeoutMs, 30 * minute)
    assert.strictEqual(policy.absoluteTimeoutMs, 2 * hour)
    assert.strictEqual(policy.renewalIntervalMs, 1000)
    assert.strictEqual(policy.clockSkewMs, 5000)
    assert.strictEqual(policy.storeTimeoutMs, 250)
    assert.strictEqual(policy.expiredRetentionMs, 0)
  })

  it("make accepts boundary values", () => {
    const equalTimeouts = succeed({ idleTimeout: "1 hour", absoluteTimeout: "1 hour", renewalInterval: hour - 1 })
    const smallest = succeed({ maxSize: 64, maxUpdateAttempts: 1 })
    const largest = succeed({ maxSize: 1024 * 1024, maxUpdateAttempts: 100 })

    assert.strictEqual(equalTimeouts.absoluteTimeoutMs, equalTimeouts.idleTimeoutMs)
    assert.strictEqual(equalTimeouts.renewalIntervalMs, hour - 1)
    assert.strictEqual(smallest.maxSize, 64)
    assert.strictEqual(smallest.maxUpdateAttempts, 1)
    assert.strictEqual(largest.maxSize, 1024 * 1024)
    assert.strictEqual(largest.maxUpdateAttempts, 100)
  })

  it("insecure cookie needs allowInsecureCookie", () => {
    const rejected = failure({ cookie: { name: "dev", secure: false } })
    const allowed = succeed({ cookie: { name: "dev", secure: false }, allowInsecureCookie: true })

    assert.strictEqual(rejected.field, "cookie.secure")
    assert.isFalse(allowed.cookie.secure)
  })

  it("make treats undefined as default", () => {
    const policy = succeed({ idleTimeout: undefined, renewalInterval: undefined, maxSize: undefined })

    assert.strictEqual(policy.idleTimeoutMs, 30 * day)
    assert.strictEqual(policy.renewalIntervalMs, day)
    assert.strictEqual(policy.maxSize, 4096)
  })

  const bad: ReadonlyArray<{ readonly name: string; readonly options: Policy.PolicyOptions; readonly field: string }> =
    [
      {
        name: "idle longer than absolute",
        options: { idleTimeout: "2 hours", absoluteTimeout: "1 hour" },
        field: "absoluteTimeout"
      },
      {
        name: "renewal equal to idle",
        options: { idleTimeout: "30 minutes", renewalInterval: "30 minutes" },
        field: "renewalInterval"
      },
      {
        name: "renewal longer than idle",
        options: { idleTimeout: "30 minutes", renewalInterval: "1 hour" },
        field: "renewalInterval"
      },
      { name: "zero idle", options: { idleTimeout: 0, renewalInterval: 0 }, field: "idleTimeout" },
      { name: "negative idle", options: { idleTimeout: "-5 minutes" }, field: "idleTimeout" },
      { name: "infinite absolute", options: { absoluteTimeout: Duration.infinity }, field: "absoluteTimeout" },
      { name: "negative renewal", options: { renewalInterval: -1 }, field: "renewalInterval" },
      { name: "zero store timeout", options: { storeTimeout: 0 }, field: "storeTimeout" },
      { name: "negative clock skew", options: { clockSkew: -1 }, field: "clockSkew" },
      { name: "negative expired retention", options: { expiredRetention: -1 }, field: "expiredRetention" },
      { name: "unparseable idle", options: { idleTimeout: fromEnv("soon") }, field: "idleTimeout" },
      { name: "unparseable absolute", options: { absoluteTimeout: fromEnv("forever") }, field: "absoluteTimeout" },
      { name: "unparseable renewal", options: { renewalInterval: fromEnv("daily") }, field: "renewalInterval" },
      { name: "unparseable clock skew", options: { clockSkew: fromEnv("a bit") }, field: "clockSkew" },
      { name: "unparseable store timeout", options: { storeTimeout: fromEnv("2") }, field: "storeTimeout" },
      {
        name: "unparseable retention",
        options: { expiredRetention: fromEnv("1 fortnight") },
        field: "expiredRetention"
      },
      { name: "maxSize below 64", options: { maxSize: 63 }, field: "maxSize" },
      { name: "maxSize zero", options: { maxSize: 0 }, field: "maxSize" },
      { name: "maxSize above 1 MiB", options: { maxSize: 1024 * 1024 + 1 }, field: "maxSize" },
      { name: "maxSize fractional", options: { maxSize: 100.5 }, field: "maxSize" },
      { name: "maxSize NaN", options: { maxSize: Number.NaN }, field: "maxSize" },
      { name: "maxUpdateAttempts zero", options: { maxUpdateAttempts: 0 }, field: "maxUpdateAttempts" },
      { name: "maxUpdateAttempts above 100", options: { maxUpdateAttempts: 101 }, field: "maxUpdateAttempts" },
      { name: "cookie path injection", options: { cookie: { path: "/;Domain=evil" } }, field: "cookie.path" },
      { name: "cookie __Host- with domain", options: { cookie: { domain: "example.com" } }, field: "cookie.domain" },
      {
        name: "cookie sameSite none insecure",
        options: { cookie: { name: "s", sameSite: "none", secure: false }, allowInsecureCookie: true },
        field: "cookie.sameSite"
      }
    ]

  it.each(bad)("make rejects $name", ({ options, field }) => {
    const error = failure(options)

    assert.strictEqual(error._tag, "SessionConfigError")
    assert.strictEqual(error.field, field)
    assert.include(error.message, field)
  })
})
