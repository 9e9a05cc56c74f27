/**
 * Bindings of Effect's `Redis` port (`effect/persistence/Redis`) to the `redis` npm client, for a
 * single server and for Redis Cluster.
 *
 * `@effect/platform-node`'s `NodeRedis.layer` fails to build when the first connection fails, and
 * a runtime built once per process would then stay failed after Redis comes back. These layers
 * connect in the background and keep reconnecting instead. They also turn off the client's offline
 * queue, so a command during an outage fails at once with `RedisError`, which the store reports as
 * unavailable, and never runs later behind the app's back.
 *
 * Every command fails with `RedisError` when no reply arrives within `commandTimeoutMs`, and
 * `CallTimeout` gives several commands one deadline together. Both share one timer per layer,
 * which costs far less per command than an Effect timeout.
 *
 * @since 0.1.0
 */
import { SessionConfigError } from "@seshat/core/SessionError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import { ClientClosedError, ClientOfflineError, createClient, createCluster } from "redis"
import * as Commands from "./internal/commands.js"

/**
 * Connection options.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionOptions {
  /** Time allowed to open a connection, in milliseconds. Default 2000. */
  readonly connectTimeoutMs?: number | undefined
  /** Maximum wait between reconnection attempts, in milliseconds. Default 2000. */
  readonly maxReconnectDelayMs?: number | undefined
  /**
   * Time allowed for a command's reply, in milliseconds. Default 2000. The Redis store gives all
   * the commands of one store call this time together, and the session policy's `storeTimeout`
   * then does not apply.
   */
  readonly commandTimeoutMs?: number | undefined
}

/**
 * Options of a single-server connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends ConnectionOptions {
  /** Server address, such as `redis://127.0.0.1:6379`. */
  readonly url: string
}

/**
 * Options of a cluster connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterOptions extends ConnectionOptions {
  /** Addresses of one or more cluster nodes; the client discovers the rest. */
  readonly rootNodes: ReadonlyArray<string>
}

/**
 * The command deadline of this package's bindings, provided next to their `Redis` service. The
 * Redis store finds it there and then leaves deadlines to the binding.
 *
 * @since 0.1.0
 * @category services
 */
export class CallTimeout extends Context.Service<
  CallTimeout,
  {
    /** The time allowed for a command, or for the commands of one `within`, in milliseconds. */
    readonly timeoutMs: number
    /**
     * Runs `effect` with one deadline for every command it sends, in any fiber it forks. Past the
     * deadline, the command waiting for its reply fails with `RedisError`, and so does every command
     * sent after it. Waits other than Redis commands get no deadline.
     */
    readonly within: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  }
>()("@seshat/adapters-redis/RedisClient/CallTimeout") {}

const defaultTimeoutMs = 2000

// The largest delay `setTimeout` accepts; a longer one fires at once.
const maxTimerDelayMs = 2 ** 31 - 1

const checkOptions = (options: ConnectionOptions): void => {
  for (const field of ["connectTimeoutMs", "maxReconnectDelayMs", "commandTimeoutMs"] as const) {
    const value = options[field]
    if (value === undefined) continue
    if (!Number.isInteger(value) || value < 1 || value > maxTimerDelayMs) {
      throw new SessionConfigError({
        field,
        detail: `must be a whole number of milliseconds from 1 to ${maxTimerDelayMs}, got ${String(value)}`
      })
    }
  }
}

const socketOptions = (options: ConnectionOptions) => ({
  connectTimeout: options.connectTimeoutMs ?? defaultTimeoutMs,
  // Exponential back-off from 50 ms, capped, and never giving up: the server may be restarting.
  reconnectStrategy: (retries: number) =>
    Math.min(50 * 2 ** Math.min(retries, 10), options.maxReconnectDelayMs ?? defaultTimeoutMs)
})

// Node reports a failed connection to a host name with several addresses (`localhost` as ::1 and
// 127.0.0.1) as an `AggregateError` with an empty message. Its inner errors name each address.
const messageOf = (error: unknown): string => {
  if (error instanceof AggregateError && error.message === "") {
    return error.errors.map(messageOf).join("; ")
  }
  return error instanceof Error ? error.message : String(error)
}

// The state of a client's connection, as its events report it.
interface Connection {
  /** The message of the last connection error, if any. */
  lastError: string | undefined
  /** Whether the layer's scope closed the client. */
  closed: boolean
}

// Tracks a client's connection. The client reports every failed reconnection as an `error` event,
// and an event without a listener would crash the process. One warning per outage is enough: the
// session service logs the failed calls.
const watchConnection = (
  client: { on(event: string, listener: (error?: unknown) => void): unknown },
  events: { readonly error: ReadonlyArray<string>; readonly ready: string }
) =>
  Effect.gen(function* () {
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const connection: Connection = { lastError: undefined, closed: false }
    let reported = false
    const onError = (error: unknown) => {
      connection.lastError = messageOf(error)
      if (reported) return
      reported = true
      runFork(Effect.logWarning("Redis connection failed; reconnecting in the background", connection.lastError))
    }
    for (const event of events.error) client.on(event, onError)
    client.on(events.ready, () => {
      if (reported) runFork(Effect.logInfo("Redis connection restored"))
      reported = false
    })
    // Runs before the client is destroyed, because the client was acquired first.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        connection.closed = true
      })
    )
    return connection
  })

// Turns what the client rejects with into a plain `Error` that names the reason, so that the
// session service logs "connect ECONNREFUSED 127.0.0.1:6379" rather than "The client is offline".
const describeFailure = (cause: unknown, connection: Connection): Error => {
  if (connection.closed) return new Error("the Redis client is closed")
  if (cause instanceof ClientOfflineError || cause instanceof ClientClosedError) {
    const detail = connection.lastError === undefined ? "still connecting" : `last error: ${connection.lastError}`
    return new Error(`not connected to Redis (${detail})`)
  }
  return new Error(messageOf(cause), { cause })
}

const unsupported = (feature: string) =>
  Effect.fail(new Redis.RedisError({ cause: new Error(`${feature} is not supported by this binding`) }))

// Builds the `send` of a binding and its `CallTimeout`.
const makeCommands = (
  run: (args: Array<string>) => Promise<unknown>,
  options: ConnectionOptions,
  connection: Connection,
  onTimeout?: (replies: number) => void
) => {
  const timeoutMs = options.commandTimeoutMs ?? defaultTimeoutMs
  const { send, within } = Commands.make(run, timeoutMs, (cause) => describeFailure(cause, connection), onTimeout)
  return { send, timeout: CallTimeout.of({ timeoutMs, within }) }
}

// A connection whose peer vanished without closing it (a dropped network path, a proxy that stopped
// forwarding) stays open and silent, and the kernel may take many minutes to notice. When a
// command times out on a connection that has sent no reply for five command timeouts, the binding
// closes it and connects again. A server paused that long loses its connection this way too, and the
// commands it already received stay as ambiguous as after any timeout. A shorter pause keeps it.
const SILENT_TIMEOUTS = 5

const replaceSilentConnection = (
  client: { destroy(): void; connect(): Promise<unknown> },
  timeoutMs: number,
  connection: Connection
) => {
  // The connection has been silent since the first timeout after its last reply. Timing starts
  // there, so a healthy connection costs no clock read per reply.
  let repliesAtTimeout = -1
  let silentSince = 0
  let replacing = false
  return (replies: number) => {
    const now = performance.now()
    if (replies !== repliesAtTimeout) {
      repliesAtTimeout = replies
      silentSince = now - timeoutMs
    }
    if (replacing || connection.closed || now - silentSince < SILENT_TIMEOUTS * timeoutMs) return
    replacing = true
    client.destroy()
    const reconnected = () => {
      replacing = false
      repliesAtTimeout = -1
    }
    // On failure the client reconnects in the background and reports it as `error` events.
    client.connect().then(reconnected, reconnected)
  }
}

// Gives the first connection up to the connect timeout, so an app that starts with Redis up serves
// its first requests, and one that starts during an outage still starts. The connection attempt goes
// on in the background either way.
const waitForConnection = (connecting: Promise<unknown>, options: ConnectionOptions) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.connectTimeoutMs ?? defaultTimeoutMs)
        connecting.then(
          () => {
            clearTimeout(timer)
            resolve()
          },
          () => {
            // Failures arrive as `error` events, and the client keeps reconnecting.
          }
        )
      })
  )

const toContext = (send: Redis.Redis["Service"]["send"], timeout: CallTimeout["Service"]) =>
  Effect.map(
    Redis.make({ send, subscribe: () => unsupported("subscribe"), connect: unsupported("reserve") }),
    (redis) => Context.make(Redis.Redis, redis).pipe(Context.add(CallTimeout, timeout))
  )

/**
 * Binds Effect's `Redis` port to one server, with its `CallTimeout`. Throws `SessionConfigError` at
 * once when a timeout option is not a whole number of milliseconds from 1 to 2^31 - 1.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Redis.Redis | CallTimeout> => {
  checkOptions(options)
  return Layer.effectContext(
    Effect.gen(function* () {
      const client = yield* Effect.acquireRelease(
        Effect.sync(() =>
          createClient({ url: options.url, disableOfflineQueue: true, socket: socketOptions(options) })
        ),
        (client) => Effect.sync(() => client.destroy())
      )
      const connection = yield* watchConnection(client, { error: ["error"], ready: "ready" })
      yield* waitForConnection(client.connect(), options)
      const { send, timeout } = makeCommands(
        (args) => client.sendCommand(args),
        options,
        connection,
        replaceSilentConnection(client, options.commandTimeoutMs ?? defaultTimeoutMs, connection)
      )
      return yield* toContext(send, timeout)
    })
  )
}

// The key a command routes by in a cluster: the first key argument of the commands the store sends.
const routingKey = (command: string, args: ReadonlyArray<string>): string | undefined => {
  switch (command.toUpperCase()) {
    case "EVAL":
    case "EVALSHA":
      return Number(args[1]) > 0 ? args[2] : undefined
    default:
      return args[0]
  }
}

// NOTE: unlike `layer`, the cluster binding does not yet replace a connection that stopped answering.
/**
 * Binds Effect's `Redis` port to a Redis Cluster, with its `CallTimeout`. `SCRIPT LOAD` runs on every
 * primary, so a script hash is known wherever its keys live; after a failover, Effect's script
 * cache reloads it on `NOSCRIPT`. A command's deadline covers its redirections and the topology
 * refreshes they cause. Throws `SessionConfigError` like `layer`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCluster = (options: ClusterOptions): Layer.Layer<Redis.Redis | CallTimeout> => {
  checkOptions(options)
  return Layer.effectContext(
    Effect.gen(function* () {
      const cluster = yield* Effect.acquireRelease(
        Effect.sync(() =>
          createCluster({
            rootNodes: options.rootNodes.map((url) => ({ url })),
            defaults: { disableOfflineQueue: true, socket: socketOptions(options) }
          })
        ),
        (cluster) => Effect.sync(() => cluster.destroy())
      )
      // The cluster reports discovery failures as `error` and each node's connection failures as
      // `node-error`; it has no `ready` event of its own.
      const connection = yield* watchConnection(cluster, { error: ["error", "node-error"], ready: "node-ready" })
      // Discovery retries until a node responds. Until then every command fails as unavailable.
      const connect = (): Promise<unknown> =>
        cluster
          .connect()
          .catch(() =>
            new Promise((resume) => setTimeout(resume, options.maxReconnectDelayMs ?? defaultTimeoutMs)).then(connect)
          )
      yield* waitForConnection(connect(), options)

      const run = async (args: Array<string>): Promise<unknown> => {
        const [command, ...rest] = args as [string, ...Array<string>]
        if (command.toUpperCase() === "SCRIPT" && rest[0]?.toUpperCase() === "LOAD") {
          const hashes = await Promise.all(
            cluster.masters.map(async (node) => (await cluster.nodeClient(node)).sendCommand(args))
          )
          return hashes[0]
        }
        return cluster.sendCommand(routingKey(command, rest), false, args)
      }
      const { send, timeout } = makeCommands(run, options, connection)
      return yield* toContext(send, timeout)
    })
  )
}
