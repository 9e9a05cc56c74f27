import { RedisClient, RedisStore } from "@seshat/adapters-redis"
import { SessionConfigError } from "@seshat/core/SessionError"
import { SessionStore } from "@seshat/core/SessionStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import * as Result from "effect/Result"
import { afterEach, assert, beforeEach, describe, it, vi } from "vitest"
import * as Commands from "../src/internal/commands.js"
import * as Deadlines from "../src/internal/deadlines.js"

// Fake timers drive the deadlines, which read `performance.now()` and arm `setTimeout`. Effect's
// scheduler runs on `setImmediate`, which stays real, so fibers keep running.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] })
})

afterEach(() => {
  vi.useRealTimers()
})

// Lets fibers and promise callbacks run to their next wait.
const settle = () => new Promise((resolve) => setImmediate(resolve))

const advance = async (ms: number) => {
  await vi.advanceTimersByTimeAsync(ms)
  await settle()
}

// Runs an effect in the background and exposes its result once it ends.
const start = <A, E>(effect: Effect.Effect<A, E>) => {
  const state: { result: Result.Result<A, E> | undefined } = { result: undefined }
  void Effect.runPromise(Effect.result(effect)).then((result) => {
    state.result = result
  })
  return state
}

// A client whose commands reply after a given delay, or never.
const client = (replies: Record<string, number | "never">) => {
  const sent: Array<string> = []
  const run = (args: Array<string>) => {
    const command = args.join(" ")
    sent.push(command)
    const delay = replies[command] ?? "never"
    return new Promise<unknown>((resolve) => {
      if (delay !== "never") setTimeout(() => resolve(`reply to ${command}`), delay)
    })
  }
  return { sent, run }
}

const describeCause = (cause: unknown) => new Error(String(cause))

const causeMessage = (result: Result.Result<unknown, Redis.RedisError> | undefined) =>
  result !== undefined && Result.isFailure(result) && result.failure.cause instanceof Error
    ? result.failure.cause.message
    : undefined

describe("Deadlines", () => {
  it("one timer serves every wait", () => {
    const deadlines = Deadlines.make(500)
    for (let i = 0; i < 100; i++) deadlines.start(() => {})

    assert.strictEqual(vi.getTimerCount(), 1)
  })

  it("expires each wait at its deadline", async () => {
    const deadlines = Deadlines.make(500)
    const expired: Array<string> = []
    deadlines.start(() => expired.push("first"))
    await advance(200)
    deadlines.start(() => expired.push("second"))

    await advance(299)
    const beforeFirst = [...expired]
    await advance(1)
    const afterFirst = [...expired]
    await advance(199)
    const beforeSecond = [...expired]
    await advance(1)

    assert.deepStrictEqual(beforeFirst, [])
    assert.deepStrictEqual(afterFirst, ["first"])
    assert.deepStrictEqual(beforeSecond, ["first"])
    assert.deepStrictEqual(expired, ["first", "second"])
  })

  it("an ended wait never expires", async () => {
    const deadlines = Deadlines.make(500)
    const expired: Array<string> = []
    const ended = deadlines.start(() => expired.push("ended"))
    deadlines.start(() => expired.push("running"))

    const endedInTime = deadlines.end(ended)
    await advance(500)
    const endedLate = deadlines.end(ended)

    assert.isTrue(endedInTime)
    assert.isFalse(endedLate)
    assert.deepStrictEqual(expired, ["running"])
  })

  it("leaves no timer once every wait ended", async () => {
    const deadlines = Deadlines.make(500)
    deadlines.end(deadlines.start(() => {}))

    await advance(500)

    assert.strictEqual(vi.getTimerCount(), 0)
  })
})

describe("Redis commands", () => {
  it("command fails at its deadline", async () => {
    const { run } = client({})
    const { send } = Commands.make(run, 500, describeCause)

    const call = start(send("GET", "k"))
    await advance(499)
    const early = call.result
    await advance(1)

    assert.isUndefined(early)
    assert.strictEqual(causeMessage(call.result), "timed out after 500 ms")
  })

  it("reply before the deadline succeeds", async () => {
    const { run } = client({ "GET k": 499 })
    const { send } = Commands.make(run, 500, describeCause)

    const call = start(send("GET", "k"))
    await advance(600)

    assert.isTrue(call.result !== undefined && Result.isSuccess(call.result))
    assert.strictEqual(
      call.result !== undefined && Result.isSuccess(call.result) && call.result.success,
      "reply to GET k"
    )
  })

  it("client failure keeps its message", async () => {
    const run = () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6390"))
    const { send } = Commands.make(run, 500, (cause) => new Error(`described: ${(cause as Error).message}`))

    const call = start(send("GET", "k"))
    await advance(0)

    assert.strictEqual(causeMessage(call.result), "described: connect ECONNREFUSED 127.0.0.1:6390")
  })

  it("call deadline covers every command", async () => {
    const { run, sent } = client({ "GET a": 300 })
    const { send, within } = Commands.make(run, 500, describeCause)
    const twoCommands = Effect.flatMap(send("GET", "a"), () => send("GET", "b"))

    const grouped = start(within(twoCommands))
    const alone = start(twoCommands)
    await advance(499)
    const early = grouped.result
    await advance(1)

    assert.isUndefined(early)
    assert.strictEqual(causeMessage(grouped.result), "timed out after 500 ms")
    assert.isUndefined(alone.result, "each command alone has 500 ms, so the pair has up to 800 ms")
    assert.deepStrictEqual(sent, ["GET a", "GET a", "GET b", "GET b"])
  })

  it("call deadline reaches forked fibers", async () => {
    const { run } = client({ "GET a": 300, "GET b": 300 })
    const { send, within } = Commands.make(run, 500, describeCause)
    const twoCommands = (first: string, second: string) => Effect.flatMap(send("GET", first), () => send("GET", second))

    const call = start(within(Effect.all([twoCommands("a", "c"), twoCommands("b", "d")], { concurrency: "unbounded" })))
    await advance(499)
    const early = call.result
    await advance(1)

    assert.isUndefined(early)
    assert.strictEqual(causeMessage(call.result), "timed out after 500 ms")
  })

  it("command after the deadline fails at once", async () => {
    const { run, sent } = client({ "GET a": 600 })
    const { send, within } = Commands.make(run, 500, describeCause)
    const late = Effect.flatMap(Effect.ignore(send("GET", "a")), () => send("GET", "b"))

    const call = start(within(late))
    await advance(500)

    assert.strictEqual(causeMessage(call.result), "timed out after 500 ms")
    assert.deepStrictEqual(sent, ["GET a"])
  })
})

describe("RedisClient options", () => {
  it("layer rejects invalid timeouts", () => {
    for (const commandTimeoutMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      let error: unknown
      try {
        RedisClient.layer({ url: "redis://127.0.0.1:6379", commandTimeoutMs })
      } catch (thrown) {
        error = thrown
      }

      assert.instanceOf(error, SessionConfigError, `commandTimeoutMs ${commandTimeoutMs}`)
      assert.strictEqual((error as SessionConfigError).field, "commandTimeoutMs")
    }
  })
})

describe("RedisStore deadlines", () => {
  const foreignRedis = Layer.effect(
    Redis.Redis,
    Redis.make({
      send: () => Effect.never,
      subscribe: () => Effect.die("unused"),
      connect: Effect.die("unused")
    })
  )
  const enforcesTimeout = (redis: Layer.Layer<Redis.Redis>) =>
    Effect.runPromise(
      Effect.gen(function* () {
        return (yield* SessionStore).enforcesTimeout
      }).pipe(Effect.provide(RedisStore.layer().pipe(Layer.provide(redis))), Effect.scoped)
    )

  it("store keeps the policy timeout over another binding", async () => {
    const enforced = await enforcesTimeout(foreignRedis)

    assert.isFalse(enforced)
  })

  it("store enforces the binding's timeout", async () => {
    const callTimeout = Layer.succeed(RedisClient.CallTimeout, { timeoutMs: 500, within: (effect) => effect })

    const enforced = await enforcesTimeout(Layer.merge(foreignRedis, callTimeout))

    assert.isTrue(enforced)
  })
})
