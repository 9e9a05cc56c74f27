/** A redis-server for one measurement, on a free loopback port with its files in a temporary folder. */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createConnection } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort, stopProcess, track, waitFor } from "./processes.ts"

export interface RedisServer {
  readonly url: string
  readonly stop: () => Promise<void>
}

const answersPing = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.write("PING\r\n"))
    socket.setTimeout(1000, () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("data", (data) => {
      socket.destroy()
      resolve(data.toString().startsWith("+PONG"))
    })
    socket.once("error", () => resolve(false))
  })

/**
 * Starts redis-server without persistence, as a cache-like session store runs. Fails with a hint
 * when the program is missing.
 */
export const startRedis = async (): Promise<RedisServer> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "seshat-bench-redis-"))
  const child = track(
    spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
      { stdio: "ignore" }
    )
  )
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve)
    child.once("error", (error) =>
      reject(new Error(`could not start redis-server (Debian: apt-get install redis-server): ${error.message}`))
    )
  })
  await spawned
  await waitFor(() => answersPing(port), `redis-server on port ${port}`, 15_000)
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await stopProcess(child)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A `MONITOR` connection that counts the commands clients send, leaving out those that Lua scripts run. */
export interface CommandMonitor {
  /**
   * Returns the commands seen since the previous window, by name, up to the `ECHO` of `marker`.
   * Call it before sending the `ECHO`, and fails after 10 seconds without the marker.
   */
  readonly take: (marker: string) => Promise<Map<string, number>>
  readonly close: () => void
}

/**
 * Opens a `MONITOR` connection. MONITOR output arrives asynchronously, so a window ends with an
 * `ECHO marker` that another client sends.
 */
export const monitorCommands = async (url: string): Promise<CommandMonitor> => {
  const { hostname, port } = new URL(url)
  const socket = createConnection({ host: hostname, port: Number(port) })
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  socket.write("MONITOR\r\n")
  let buffer = ""
  let counts = new Map<string, number>()
  const markers: Array<{ marker: string; resolve: (counts: Map<string, number>) => void }> = []
  socket.on("data", (data) => {
    buffer += data.toString()
    let newline = buffer.indexOf("\r\n")
    while (newline !== -1) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 2)
      newline = buffer.indexOf("\r\n")
      // A line reads `+1733312345.123456 [0 127.0.0.1:5678] "HGETALL" "key"`. Scripts show `[0 lua]`.
      const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"(?: "([^"]*)")?/.exec(line)
      if (match === null || match[1] === "lua") continue
      const command = match[2]!.toUpperCase()
      const waiting = markers[0]
      if (command === "ECHO" && waiting !== undefined && match[3] === waiting.marker) {
        markers.shift()
        waiting.resolve(counts)
        counts = new Map()
        continue
      }
      counts.set(command, (counts.get(command) ?? 0) + 1)
    }
  })
  return {
    take: (marker) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`MONITOR never showed ECHO ${marker}`)), 10_000)
        markers.push({
          marker,
          resolve: (counts) => {
            clearTimeout(timer)
            resolve(counts)
          }
        })
      }),
    close: () => socket.destroy()
  }
}
