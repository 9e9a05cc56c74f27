/**
 * Builds the example app once and starts `next start` processes on free loopback ports.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { freePort } from "../../../../packages/adapters-redis/test/server.js"

process.env.NEXT_TELEMETRY_DISABLED = "1"

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const repoDir = path.resolve(appDir, "../..")
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next")

/**
 * One `next start` process.
 */
export interface Server {
  readonly baseUrl: string
  readonly child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far. */
  readonly output: () => string
}

/**
 * Builds the environment of a `next` child process: this process's, without the variables that
 * configure the app (SESHAT_*, REDIS_URL), and with NODE_ENV=production, the mode of `next build`
 * and `next start`, in place of vitest's "test".
 */
const childEnvironment = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" }
  for (const key of Object.keys(env)) {
    if (key.startsWith("SESHAT_") || key === "REDIS_URL") delete env[key]
  }
  return { ...env, ...extra }
}

/**
 * Runs `next build` in the app folder. The app consumes the packages' dist/, so they must be built.
 */
export const buildApp = async (): Promise<void> => {
  for (const pkg of ["core", "adapters-memory", "adapters-redis", "adapters-next"]) {
    if (!existsSync(path.join(repoDir, "packages", pkg, "dist", "index.js"))) {
      throw new Error(`packages/${pkg}/dist is missing. Run \`npm run build\` at the repository root first.`)
    }
  }
  try {
    await promisify(execFile)(process.execPath, [nextBin, "build"], {
      cwd: appDir,
      env: childEnvironment({}),
      maxBuffer: 64 * 1024 * 1024
    })
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string }
    throw new Error(`next build failed:\n${failure.stdout ?? ""}\n${failure.stderr ?? ""}`)
  }
}

/**
 * Starts `next start` on a free port of 127.0.0.1 with the given app variables, and waits until it
 * responds to `GET /api/session`.
 */
export const startServer = async (env: Record<string, string>): Promise<Server> => {
  const port = await freePort()
  // Detached, so the child leads its own process group and stopServer can end the group.
  const child = spawn(process.execPath, [nextBin, "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: appDir,
    env: childEnvironment(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout?.on("data", (chunk) => {
    output += chunk
  })
  child.stderr?.on("data", (chunk) => {
    output += chunk
  })
  const server = { baseUrl: `http://127.0.0.1:${port}`, child, output: () => output }

  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with code ${child.exitCode}:\n${output}`)
    try {
      const response = await fetch(`${server.baseUrl}/api/session`)
      if (response.ok) return server
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  stopServer(server)
  throw new Error(`next start did not answer on ${server.baseUrl} within 60 s:\n${output}`)
}

/**
 * Stops a server started by `startServer`, by its process group.
 */
export const stopServer = (server: Server | undefined): void => {
  const pid = server?.child.pid
  if (pid === undefined || server?.child.exitCode !== null) return
  try {
    process.kill(-pid, "SIGTERM")
  } catch {
    // The group already exited.
  }
}
