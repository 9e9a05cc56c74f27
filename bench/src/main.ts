/**
 * Runs every measurement, each in its own Node process, one after another, and prints the results
 * as Markdown. `--short` runs fewer and shorter rounds, a smoke check that takes about two minutes
 * on a 2-core machine. `--only hash,validate` picks measurements. The results also go to
 * bench/results/<time>-<mode>.json with the versions and the machine.
 *
 * The exit code is 0 whatever the numbers are: it is 1 only when a measurement fails to run.
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { cpus, loadavg, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { sourceDir } from "./lib/processes.ts"
import { formatResult, meetsTarget, type Result } from "./lib/report.ts"

interface Measurement {
  readonly id: string
  readonly script: string
  readonly nodeOptions: ReadonlyArray<string>
}

const measurements: ReadonlyArray<Measurement> = [
  { id: "hash", script: "hash.ts", nodeOptions: [] },
  { id: "validate", script: "validate.ts", nodeOptions: [] },
  { id: "http", script: "http.ts", nodeOptions: [] },
  { id: "redis", script: "redis.ts", nodeOptions: [] },
  { id: "next", script: "next.ts", nodeOptions: [] },
  { id: "bundle", script: "bundle.ts", nodeOptions: [] },
  // A million sessions and the floor Map need more than the default heap limit on small machines.
  { id: "memory", script: "memory.ts", nodeOptions: ["--expose-gc", "--max-old-space-size=4096"] }
]

const readManifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version: string }

const packageVersions = (): Record<string, string> => {
  const require = createRequire(join(sourceDir, "main.ts"))
  const names = [
    "effect",
    "@noble/hashes",
    "express",
    "express-session",
    "connect-redis",
    "redis",
    "iron-session",
    "cookie-signature",
    "autocannon",
    "esbuild",
    "next",
    "react"
  ]
  const versions: Record<string, string> = {}
  for (const name of names) {
    // Some packages do not export their package.json, so walk up from the entry point to it.
    let dir = dirname(require.resolve(name))
    while (!existsSync(join(dir, "package.json")) || readManifest(dir).name !== name) {
      if (dirname(dir) === dir) throw new Error(`found no package.json of ${name}`)
      dir = dirname(dir)
    }
    versions[name] = readManifest(dir).version
  }
  return versions
}

const redisVersion = (): string => {
  try {
    return execFileSync("redis-server", ["--version"], { encoding: "utf8" }).trim()
  } catch {
    return "not installed"
  }
}

const gitState = (): { commit: string; packagesChanged: boolean } => {
  const git = (...args: Array<string>) =>
    execFileSync("git", args, { cwd: sourceDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  try {
    return { commit: git("rev-parse", "HEAD"), packagesChanged: git("status", "--porcelain", "../../packages") !== "" }
  } catch {
    return { commit: "unknown", packagesChanged: false }
  }
}

const runMeasurement = (measurement: Measurement, short: boolean, out: string): Promise<Result> =>
  new Promise((resolve, reject) => {
    const args = [
      ...measurement.nodeOptions,
      "--import",
      "tsx",
      join(sourceDir, measurement.script),
      ...(short ? ["--short"] : []),
      "--out",
      out
    ]
    const child = spawn(process.execPath, args, {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      // The child's Markdown is printed once, by this process, with the others.
      stdio: ["ignore", "ignore", "inherit"]
    })
    child.once("error", reject)
    child.once("exit", (code, signal) => {
      if (code !== 0) return reject(new Error(`${measurement.script} failed (code ${code}, signal ${signal})`))
      resolve(JSON.parse(readFileSync(out, "utf8")) as Result)
    })
  })

const main = async () => {
  const argv = process.argv.slice(2)
  const short = argv.includes("--short")
  const onlyIndex = argv.indexOf("--only")
  const only = onlyIndex === -1 ? undefined : argv[onlyIndex + 1]?.split(",")
  const unknown = only?.filter((id) => !measurements.some((measurement) => measurement.id === id)) ?? []
  if (unknown.length > 0) {
    throw new Error(
      `unknown measurement ${unknown.join(", ")}; choose from ${measurements.map((m) => m.id).join(", ")}`
    )
  }
  const selected = measurements.filter((measurement) => only === undefined || only.includes(measurement.id))

  const started = new Date()
  const startedAt = performance.now()
  const environment = {
    date: started.toISOString(),
    mode: short ? "short" : "full",
    node: process.version,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
    redis: redisVersion(),
    packages: packageVersions(),
    ...gitState()
  }
  console.log(`# Seshat benchmarks, ${environment.mode} mode, ${environment.date}\n`)
  console.log(
    `Node ${environment.node}, ${environment.cpu}, ${environment.memoryGB} GB, load average ${environment.loadAverageAtStart.join(" ")}\n`
  )

  const resultsDir = join(sourceDir, "..", "results")
  const scratchDir = join(resultsDir, `.scratch-${process.pid}`)
  mkdirSync(scratchDir, { recursive: true })
  const results: Array<Result & { seconds: number }> = []
  const failures: Array<string> = []
  try {
    for (const measurement of selected) {
      const measurementStarted = performance.now()
      try {
        const result = await runMeasurement(measurement, short, join(scratchDir, `${measurement.id}.json`))
        const seconds = Math.round((performance.now() - measurementStarted) / 1000)
        results.push({ ...result, seconds })
        console.log(`${formatResult(result)}(${seconds} s)\n`)
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error))
        console.log(`### ${measurement.id}: failed\n\n${failures.at(-1)}\n`)
      }
    }
  } finally {
    rmSync(scratchDir, { recursive: true, force: true })
  }

  const summary = results.flatMap((result) =>
    result.ratios
      .filter((ratio) => ratio.target !== undefined)
      .map((ratio) => {
        const verdict = meetsTarget(ratio) ? "holds" : "does not hold"
        return `- ${result.id}: ${ratio.name} = ${ratio.value.toFixed(3)} (target ${ratio.target!.bound} ${ratio.target!.limit}): ${verdict}`
      })
  )
  console.log(["## Targets", "", ...summary, ""].join("\n"))
  const totalSeconds = Math.round((performance.now() - startedAt) / 1000)
  const file = join(resultsDir, `${environment.date.replaceAll(":", "-")}-${environment.mode}.json`)
  const record = { environment, totalSeconds, loadAverageAtEnd: loadavg(), results, failures }
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
  console.log(`Finished in ${totalSeconds} s. Results saved to ${file}`)
  if (failures.length > 0) {
    console.error(`${failures.length} measurement(s) failed to run:\n${failures.join("\n")}`)
    process.exitCode = 1
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
