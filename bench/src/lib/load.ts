/** Load generation with autocannon against a server on 127.0.0.1, bounded by its duration. */
import autocannon from "autocannon"

export interface LoadOptions {
  readonly url: string
  readonly cookie: string | undefined
  readonly connections: number
  readonly durationSeconds: number
}

export interface LoadResult {
  readonly requestsPerSecond: number
  readonly total: number
  readonly non2xx: number
  readonly errors: number
  readonly latencyMedianMs: number
}

/** Runs one load test and returns requests per second over its whole duration. */
export const load = async (options: LoadOptions): Promise<LoadResult> => {
  const { hostname } = new URL(options.url)
  if (hostname !== "127.0.0.1") throw new Error(`load tests target 127.0.0.1 only, not ${hostname}`)
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    headers: options.cookie === undefined ? {} : { cookie: options.cookie }
  })
  return {
    requestsPerSecond: result.requests.total / (result.duration || options.durationSeconds),
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencyMedianMs: result.latency.p50
  }
}
