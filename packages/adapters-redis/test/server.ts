// Starts real redis-server processes on free loopback ports for the tests, and stops them.
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

/** Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

const cli = (port: number, ...args: ReadonlyArray<string>) =>
  run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 10_000 }).then(({ stdout }) =>
    stdout.trim()
  )

const waitFor = async (check: () => Promise<boolean>, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** One redis-server on 127.0.0.1 with its data in a temporary folder. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Runs redis-cli against this server and returns its output. */
  readonly cli: (...args: ReadonlyArray<string>) => Promise<string>
  /** Stops the process; `start` brings it back on the same port with the same data. */
  readonly stop: () => Promise<void>
  readonly start: () => Promise<void>
  /** Freezes the process (SIGSTOP) until `resume` (SIGCONT): it accepts connections and never answers. */
  readonly pause: () => void
  readonly resume: () => void
  /** Stops the process and deletes its data. */
  readonly dispose: () => Promise<void>
}

const startProcess = async (port: number, dir: string, extra: ReadonlyArray<string>): Promise<ChildProcess> => {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      // Every acknowledged write reaches the append-only file before the reply, so a restart keeps it.
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--save",
      "",
      ...extra
    ],
    { stdio: "ignore" }
  )
  await waitFor(async () => (await cli(port, "PING")) === "PONG", `redis-server on port ${port}`)
  return child
}

/** Starts a redis-server on a free port. */
export const startRedis = async (extra: ReadonlyArray<string> = []): Promise<RedisServer> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "seshat-redis-"))
  let child: ChildProcess | undefined = await startProcess(port, dir, extra)

  const stop = async () => {
    const current = child
    child = undefined
    if (current === undefined || current.exitCode !== null) return
    const exited = new Promise((resolve) => current.once("exit", resolve))
    current.kill("SIGCONT")
    current.kill("SIGTERM")
    await exited
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli: (...args) => cli(port, ...args),
    stop,
    start: async () => {
      child = await startProcess(port, dir, extra)
    },
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    dispose: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A cluster of three primaries on loopback. */
export interface RedisCluster {
  readonly nodes: ReadonlyArray<RedisServer>
  readonly rootNodes: ReadonlyArray<string>
  readonly dispose: () => Promise<void>
}

/** Starts three cluster-enabled servers and joins them into one cluster with no replicas. */
export const startCluster = async (): Promise<RedisCluster> => {
  const nodes: Array<RedisServer> = []
  for (let i = 0; i < 3; i++) {
    nodes.push(await startRedis(["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"]))
  }
  await run(
    "redis-cli",
    [
      "--cluster",
      "create",
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes"
    ],
    { timeout: 30_000 }
  )
  await waitFor(async () => {
    const states = await Promise.all(nodes.map((node) => node.cli("CLUSTER", "INFO")))
    return states.every((info) => info.includes("cluster_state:ok"))
  }, "cluster_state:ok")
  return {
    nodes,
    rootNodes: nodes.map((node) => node.url),
    dispose: async () => {
      await Promise.all(nodes.map((node) => node.dispose()))
    }
  }
}
