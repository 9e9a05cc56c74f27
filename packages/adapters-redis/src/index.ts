/**
 * @seshat/adapters-redis: the Redis session store, for a single server or Redis Cluster.
 *
 * ```ts
 * import { layerRedis } from "@seshat/adapters-redis"
 * const store = layerRedis({ url: "redis://127.0.0.1:6379" })
 * ```
 *
 * @since 0.1.0
 */
import type { SessionStore } from "@seshat/core/SessionStore"
import * as Layer from "effect/Layer"
import * as RedisClient from "./RedisClient.js"
import * as RedisStore from "./RedisStore.js"

export * as RedisClient from "./RedisClient.js"
export * as RedisStore from "./RedisStore.js"

/**
 * A store over one Redis server. Every store call ends within `commandTimeoutMs` (default 2000),
 * which replaces the session policy's `storeTimeout` for this store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedis = (options: RedisClient.Options & RedisStore.Options): Layer.Layer<SessionStore> =>
  RedisStore.layer(options).pipe(Layer.provide(RedisClient.layer(options)))

/**
 * A store over a Redis Cluster, with the same deadline as `layerRedis`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedisCluster = (
  options: RedisClient.ClusterOptions & RedisStore.Options
): Layer.Layer<SessionStore> => RedisStore.layer(options).pipe(Layer.provide(RedisClient.layerCluster(options)))
