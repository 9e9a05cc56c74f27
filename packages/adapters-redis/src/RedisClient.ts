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
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redis from "effect/persistence/Redis"
import { createClient, createCluster } from "redis"

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

const socketOptions = (options: ConnectionOptions) => ({
  connectTimeout: options.connectTimeoutMs ?? 2000,
  // Exponential back-off from 50 ms, capped, and never giving up: the server may be restarting.
  reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), options.maxReconnectDelayMs ?? 2000)
})

const toError = (cause: unknown) => new Redis.RedisError({ cause })

const unsupported = (feature: string) => Effect.fail(toError(new Error(`${feature} is not supported by this binding`)))

// The client reports every failed reconnection as an `error` event, and an event without a listener
// would crash the process. One warning per outage is enough: the store logs each failed call.
const watchErrors = (client: { on(event: "error" | "ready", listener: (error?: unknown) => void): unknown }) =>
  Effect.gen(function* () {
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    let reported = false
    client.on("error", (error) => {
      if (reported) return
      reported = true
      runFork(Effect.logWarning("Redis connection failed; reconnecting in the background", String(error)))
    })
    client.on("ready", () => {
      if (reported) runFork(Effect.logInfo("Redis connection restored"))
      reported = false
    })
  })

/**
 * A `Redis` layer over one server.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Redis.Redis> =>
  Layer.effect(
    Redis.Redis,
    Effect.gen(function* () {
      const client = yield* Effect.acquireRelease(
        Effect.sync(() =>
          createClient({ url: options.url, disableOfflineQueue: true, socket: socketOptions(options) })
        ),
        (client) => Effect.sync(() => client.destroy())
      )
      yield* watchErrors(client)
      yield* waitForConnection(client.connect(), options)
      return yield* Redis.make({
        send: <A>(command: string, ...args: ReadonlyArray<string>) =>
          Effect.tryPromise({ try: () => client.sendCommand([command, ...args]) as Promise<A>, catch: toError }),
        subscribe: () => unsupported("subscribe"),
        connect: unsupported("reserve")
      })
    })
  )

// Gives the first connection up to the connect timeout, so an app that starts with Redis up serves
// its first requests, and one that starts during an outage still starts. The connection attempt goes
// on in the background either way.
const waitForConnection = (connecting: Promise<unknown>, options: ConnectionOptions) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.connectTimeoutMs ?? 2000)
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

/**
 * A `Redis` layer over a Redis Cluster. `SCRIPT LOAD` runs on every primary, so a script hash is
 * known wherever its keys live; after a failover, Effect's script cache reloads it on `NOSCRIPT`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCluster = (options: ClusterOptions): Layer.Layer<Redis.Redis> =>
  Layer.effect(
    Redis.Redis,
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
      yield* watchErrors(cluster)
      // Discovery retries until a node responds. Until then every command fails as unavailable.
      const connect = (): Promise<unknown> =>
        cluster
          .connect()
          .catch(() => new Promise((resume) => setTimeout(resume, options.maxReconnectDelayMs ?? 2000)).then(connect))
      yield* waitForConnection(connect(), options)

      const send = <A>(command: string, ...args: ReadonlyArray<string>): Effect.Effect<A, Redis.RedisError> => {
        if (command.toUpperCase() === "SCRIPT" && args[0]?.toUpperCase() === "LOAD") {
          return Effect.tryPromise({
            try: async () => {
              const hashes = await Promise.all(
                cluster.masters.map(async (node) => (await cluster.nodeClient(node)).sendCommand([command, ...args]))
              )
              return hashes[0] as A
            },
            catch: toError
          })
        }
        return Effect.tryPromise({
          try: () => cluster.sendCommand(routingKey(command, args), false, [command, ...args]) as Promise<A>,
          catch: toError
        })
      }
      return yield* Redis.make({ send, subscribe: () => unsupported("subscribe"), connect: unsupported("reserve") })
    })
  )
