/**
 * Child processes of a measurement: servers started from a script of this package, stopped by
 * process id when the measurement ends.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { createInterface } from "node:readline"

// Children still running when this process exits (normally or through process.exit) get SIGTERM,
// so a failed measurement leaves no server behind.
const running = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of running) child.kill("SIGTERM")
})

/** Registers a child so it is stopped when this process exits. */
export const track = (child: ChildProcess): ChildProcess => {
  running.add(child)
  child.once("exit", () => running.delete(child))
  return child
}

/** The folder of this package's sources. */
export const sourceDir = join(import.meta.dirname, "..")

/** Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("port 0 gave no address"))
      )
    })
  })

/** A running child with the JSON object it printed when it was ready. */
export interface Child<Ready> {
  readonly process: ChildProcess
  readonly ready: Ready
  readonly stop: () => Promise<void>
}

/** Stops a child with SIGTERM, then SIGKILL after two seconds, and waits for it to exit. */
export const stopProcess = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill("SIGTERM")
  })

/**
 * Starts a TypeScript script of this package in its own Node process. The script signals that it
 * is ready by printing one line that starts with `READY ` and continues with JSON.
 */
export const startScript = <Ready>(
  script: string,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly timeoutMs?: number } = {}
): Promise<Child<Ready>> =>
  new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, ["--import", "tsx", join(sourceDir, script), ...args], {
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...options.env },
        stdio: ["ignore", "pipe", "inherit"]
      })
    )
    const timeoutMs = options.timeoutMs ?? 30_000
    const timer = setTimeout(() => {
      void stopProcess(child)
      reject(new Error(`${script} was not ready within ${timeoutMs} ms`))
    }, timeoutMs)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited before it was ready (code ${code}, signal ${signal})`))
    })
    const lines = createInterface({ input: child.stdout! })
    lines.on("line", (line) => {
      if (!line.startsWith("READY ")) return
      clearTimeout(timer)
      resolve({
        process: child,
        ready: JSON.parse(line.slice("READY ".length)) as Ready,
        stop: () => stopProcess(child)
      })
    })
  })

/** Polls `check` every 100 ms until it returns true, or fails after `timeoutMs`. */
export const waitFor = async (check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
