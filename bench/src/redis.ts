/**
 * Redis: the latency of a validate through the Redis store against a raw `GET` with the same
 * `redis` client library on the same server, one request at a time. `MONITOR` counts the commands
 * that each validate sends. The rows between the two split the difference: the session string's
 * header, Effect's Redis port, the binding's deadline, and the core's Effect timeout that the store
 * makes unnecessary. One row reads the same session as a hash, the layout the store used before
 * its string, to keep the cost of that choice measured.
 */
import { createHash, randomBytes } from "node:crypto"
import { layerRedis, RedisClient } from "@seshat/adapters-redis"
import { SessionManager, WebCookies } from "@seshat/core"
import { SessionStore } from "@seshat/core/SessionStore"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redis from "effect/persistence/Redis"
import { createClient } from "redis"
import { cookieValue, initialData, SESHAT_COOKIE, SessionData } from "./lib/fixtures.ts"
import { monitorCommands, startRedis } from "./lib/redis-server.ts"
import { type Result, runScript, type ScriptOptions } from "./lib/report.ts"
import { median, quantile, rotate } from "./lib/stats.ts"

type NodeRedisClient = ReturnType<typeof createClient>

/** Creates a clock that runs ahead of the real one by an offset that `advance` increases. */
const offsetClock = () => {
  const real = Clock.Clock.defaultValue()
  const state = { offsetMs: 0 }
  const offsetNanos = () => BigInt(state.offsetMs) * 1_000_000n
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => real.currentTimeMillisUnsafe() + state.offsetMs,
    currentTimeMillis: Effect.sync(() => real.currentTimeMillisUnsafe() + state.offsetMs),
    currentTimeNanosUnsafe: () => real.currentTimeNanosUnsafe() + offsetNanos(),
    currentTimeNanos: Effect.sync(() => real.currentTimeNanosUnsafe() + offsetNanos()),
    monotonicTimeNanosUnsafe: () => real.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: real.monotonicTimeNanos,
    sleep: (duration) => real.sleep(duration)
  }
  return { clock, advance: (ms: number) => (state.offsetMs += ms) }
}

// The commands of one window per call, as "GET 1, EVALSHA 1", and their total.
const perCall = (counts: Map<string, number>, calls: number) => ({
  total: [...counts.values()].reduce((sum, sent) => sum + sent, 0) / calls,
  detail: [...counts].map(([command, sent]) => `${command} ${sent / calls}`).join(", ")
})

// The Redis store with `enforcesTimeout` turned off, so the core wraps each call in its own Effect
// timeout, as it did before the binding enforced the deadline.
const withCoreTimeout = (store: Layer.Layer<SessionStore>): Layer.Layer<SessionStore> =>
  Layer.effect(
    SessionStore,
    Effect.map(SessionStore, (service) => SessionStore.of({ ...service, enforcesTimeout: false }))
  ).pipe(Layer.provide(store))

// Effect's Redis port over a raw client, with no deadline: what the binding's deadline adds to it.
const portWithoutDeadline = (client: NodeRedisClient) =>
  Redis.make({
    send: <A>(command: string, ...args: ReadonlyArray<string>) =>
      Effect.tryPromise({
        try: () => client.sendCommand([command, ...args]) as Promise<A>,
        catch: (cause) => new Redis.RedisError({ cause })
      }),
    subscribe: () => Effect.die("not measured"),
    connect: Effect.die("not measured")
  })

const signIn = async (manager: SessionManager.SessionManager<SessionData>): Promise<Request> => {
  const jar = WebCookies.fromRequest(new Request("http://127.0.0.1/"))
  await manager.ensure(jar)
  const token = cookieValue(jar.setCookieHeaders()[0]!, SESHAT_COOKIE)
  return new Request("http://127.0.0.1/", { headers: { cookie: `${SESHAT_COOKIE}=${token}` } })
}

interface Operation {
  readonly name: string
  readonly run: () => Promise<unknown>
}

const measure = async (options: ScriptOptions): Promise<Result> => {
  const settings = { rounds: options.short ? 5 : 9, operationsPerRound: options.short ? 300 : 1000 }
  const redis = await startRedis()
  const raw: NodeRedisClient = createClient({ url: redis.url })
  await raw.connect()
  // The same client library with its own per-command deadline, which could replace the core's.
  const deadlined = createClient({ url: redis.url, commandOptions: { timeout: 2000, rejectInFlight: true } })
  await deadlined.connect()
  // Renewals need time to pass: this manager's clock moves one renewal interval per renewing read.
  const renewalIntervalMs = 60_000
  const { clock, advance } = offsetClock()
  const steady = SessionManager.make({
    schema: SessionData,
    initial: initialData,
    store: layerRedis({ url: redis.url })
  })
  const coreTimeout = SessionManager.make({
    schema: SessionData,
    initial: initialData,
    store: withCoreTimeout(layerRedis({ url: redis.url }))
  })
  const renewing = SessionManager.make({
    schema: SessionData,
    initial: initialData,
    store: layerRedis({ url: redis.url }),
    clock,
    policy: {
      idleTimeout: Duration.minutes(30),
      absoluteTimeout: Duration.days(365),
      renewalInterval: Duration.millis(renewalIntervalMs)
    }
  })
  // Effect's Redis port over the adapter's binding, without the store, and over a raw client.
  const portRuntime = ManagedRuntime.make(RedisClient.layer({ url: redis.url }))
  const bareRuntime = ManagedRuntime.make(Layer.effect(Redis.Redis, portWithoutDeadline(raw)))
  try {
    const port = await portRuntime.runPromise(
      Effect.gen(function* () {
        return yield* Redis.Redis
      })
    )
    const barePort = await bareRuntime.runPromise(
      Effect.gen(function* () {
        return yield* Redis.Redis
      })
    )
    const steadyRequest = await signIn(steady)
    const coreTimeoutRequest = await signIn(coreTimeout)
    const renewingRequest = await signIn(renewing)
    const token = cookieValue(steadyRequest.headers.get("cookie")!, SESHAT_COOKIE)
    const sessionKey = `seshat:s:{${createHash("sha256").update(token).digest("base64url")}}`
    // The session string is five header fields, each ended by a line feed, then the record.
    const stored = (await raw.get(sessionKey)) ?? ""
    const header = stored.split("\n", 5)
    const storedBytes = stored.length - header.join("\n").length - 1
    if (header.length < 5 || storedBytes <= 0) {
      throw new Error(`no session string under ${sessionKey}. Check the Redis store's key layout.`)
    }
    await raw.set("bench:raw", randomBytes(storedBytes).toString("base64url").slice(0, storedBytes))
    const [version, sessionId, user, expiresAt, deadline] = header as [string, string, string, string, string]
    const hashKey = "bench:session-hash"
    await raw.hSet(hashKey, {
      v: version,
      s: sessionId,
      u: user,
      e: expiresAt,
      l: deadline,
      d: stored.slice(-storedBytes)
    })

    const operations: ReadonlyArray<Operation> = [
      { name: "raw GET (redis client)", run: () => raw.get("bench:raw") },
      { name: "raw GET of the session string", run: () => raw.get(sessionKey) },
      { name: "raw HGETALL of the same session as a hash", run: () => raw.hGetAll(hashKey) },
      {
        name: "raw GET of the session string with the client's own timeout (2 s, rejectInFlight)",
        run: () => deadlined.get(sessionKey)
      },
      {
        name: "GET through Effect's Redis port on the raw client, no deadline",
        run: () => bareRuntime.runPromise(barePort.send("GET", sessionKey))
      },
      {
        name: "GET through the adapter's binding (Effect's Redis port and a 2 s deadline)",
        run: () => portRuntime.runPromise(port.send("GET", sessionKey))
      },
      {
        // The core wraps every call to a store without `enforcesTimeout` in a timeout like this one.
        name: "GET through the adapter's binding, also in Effect.timeoutOrElse (2 s)",
        run: () =>
          portRuntime.runPromise(
            Effect.timeoutOrElse(port.send("GET", sessionKey), {
              duration: 2000,
              orElse: () => Effect.fail(new Error("GET timed out after 2000 ms"))
            })
          )
      },
      {
        name: "Seshat read, no renewal due",
        run: async () => {
          const status = await steady.read(WebCookies.fromRequest(steadyRequest))
          if (status._tag !== "Active") throw new Error(`read ${status._tag}, expected Active`)
        }
      },
      {
        name: "Seshat read, no renewal due, with the core's Effect timeout",
        run: async () => {
          const status = await coreTimeout.read(WebCookies.fromRequest(coreTimeoutRequest))
          if (status._tag !== "Active") throw new Error(`read ${status._tag}, expected Active`)
        }
      },
      {
        name: "Seshat read with a renewal",
        run: async () => {
          advance(renewalIntervalMs + 1)
          const jar = WebCookies.fromRequest(renewingRequest)
          const status = await renewing.read(jar)
          if (status._tag !== "Active") throw new Error(`renewing read ${status._tag}, expected Active`)
          if (jar.setCookieHeaders().length !== 1) throw new Error("a renewal set no cookie")
        }
      }
    ]

    // Warm-up: connections, script loading and the JIT. Then MONITOR counts the commands of 100 calls
    // of each. Every command a client sends is one round trip, because none of them pipelines here.
    const monitor = await monitorCommands(redis.url)
    const roundTrips = new Map<string, { total: number; detail: string }>()
    for (const [index, operation] of operations.entries()) {
      for (let i = 0; i < 200; i++) await operation.run()
      const started = monitor.take(`start-${index}`)
      await raw.echo(`start-${index}`)
      await started
      for (let i = 0; i < 100; i++) await operation.run()
      const ended = monitor.take(`end-${index}`)
      await raw.echo(`end-${index}`)
      roundTrips.set(operation.name, perCall(await ended, 100))
    }
    monitor.close()

    const samples = new Map<string, Array<number>>(operations.map((operation) => [operation.name, []]))
    const p90s = new Map<string, Array<number>>(operations.map((operation) => [operation.name, []]))
    const cpuTimes = new Map<string, Array<number>>(operations.map((operation) => [operation.name, []]))
    for (let round = 0; round < settings.rounds; round++) {
      for (const operation of rotate(operations, round)) {
        const latencies: Array<number> = []
        const cpuBefore = process.cpuUsage()
        for (let i = 0; i < settings.operationsPerRound; i++) {
          const start = process.hrtime.bigint()
          await operation.run()
          latencies.push(Number(process.hrtime.bigint() - start) / 1000)
        }
        const cpu = process.cpuUsage(cpuBefore)
        cpuTimes.get(operation.name)!.push((cpu.user + cpu.system) / settings.operationsPerRound)
        samples.get(operation.name)!.push(median(latencies))
        p90s.get(operation.name)!.push(quantile(latencies, 0.9))
      }
    }

    const latency = (name: string) => median(samples.get(name)!)
    const [
      get,
      sessionGet,
      hgetall,
      clientTimeout,
      barePortRow,
      binding,
      bindingWithTimeout,
      read,
      readWithCoreTimeout,
      renew
    ] = operations.map((operation) => operation.name) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string
    ]
    return {
      id: "redis",
      title: "Redis: validate latency against a raw GET, one request at a time",
      settings: { ...settings, storedRecordBytes: storedBytes },
      figures: [
        ...operations.map((operation) => ({
          name: `${operation.name}: median latency`,
          value: latency(operation.name),
          unit: "µs",
          rounds: samples.get(operation.name)
        })),
        ...operations.map((operation) => ({
          name: `${operation.name}: 90th percentile latency`,
          value: median(p90s.get(operation.name)!),
          unit: "µs",
          rounds: p90s.get(operation.name)
        })),
        ...operations.map((operation) => ({
          name: `${operation.name}: CPU of this process per call`,
          value: median(cpuTimes.get(operation.name)!),
          unit: "µs",
          rounds: cpuTimes.get(operation.name)
        })),
        ...operations.map((operation) => ({
          name: `${operation.name}: round trips per call`,
          value: roundTrips.get(operation.name)!.total,
          unit: `commands (${roundTrips.get(operation.name)!.detail})`
        }))
      ],
      ratios: [
        {
          name: "Seshat read, no renewal / raw GET",
          value: latency(read) / latency(get),
          target: { bound: "at most", limit: 1.15 }
        },
        { name: "Seshat read, no renewal / raw GET of the session string", value: latency(read) / latency(sessionGet) },
        { name: "Seshat read with a renewal / raw GET", value: latency(renew) / latency(get) },
        { name: "raw GET of the session string / raw GET", value: latency(sessionGet) / latency(get) },
        { name: "raw HGETALL of the session as a hash / raw GET", value: latency(hgetall) / latency(get) },
        {
          name: "raw HGETALL of the session as a hash / raw GET of the session string",
          value: latency(hgetall) / latency(sessionGet)
        },
        {
          name: "Effect's Redis port, no deadline / raw GET of the session string",
          value: latency(barePortRow) / latency(sessionGet)
        },
        {
          name: "the adapter's binding / Effect's Redis port, no deadline",
          value: latency(binding) / latency(barePortRow)
        },
        {
          name: "the adapter's binding / raw GET of the session string",
          value: latency(binding) / latency(sessionGet)
        },
        { name: "Seshat read, no renewal / the adapter's binding", value: latency(read) / latency(binding) },
        {
          name: "the adapter's binding with Effect.timeoutOrElse / without",
          value: latency(bindingWithTimeout) / latency(binding)
        },
        {
          name: "Seshat read with the core's Effect timeout / with the binding's deadline",
          value: latency(readWithCoreTimeout) / latency(read)
        },
        {
          name: "raw GET of the session string with the client's timeout / without",
          value: latency(clientTimeout) / latency(sessionGet)
        }
      ],
      notes: [
        "CPU per call is this process's user and system time over a round, divided by its calls: the client's work, without redis-server's.",
        "Commands per call are what MONITOR shows clients sending during 100 calls, without the commands that Lua scripts run; each is one round trip.",
        `The raw GET reads a ${storedBytes}-byte string, the size of the stored record. The session string is ${stored.length} characters: the record after a header of five short fields, which the hash holds as fields of their own.`
      ]
    }
  } finally {
    await steady.dispose()
    await coreTimeout.dispose()
    await renewing.dispose()
    await portRuntime.dispose()
    await bareRuntime.dispose()
    raw.destroy()
    deadlined.destroy()
    await redis.stop()
  }
}

runScript(measure)
