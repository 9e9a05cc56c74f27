/**
 * The result of one measurement as the runner collects it: raw medians, the ratios between them,
 * and each target checked against its ratio. The runner prints these and saves them as JSON.
 */
import { writeFileSync } from "node:fs"

/** A raw median, such as nanoseconds per operation or requests per second. */
export interface Figure {
  readonly name: string
  readonly value: number
  readonly unit: string
  /** The value of each round. `value` is their median. */
  readonly rounds?: ReadonlyArray<number> | undefined
}

/** A target on a ratio: `at most` for costs, `at least` for throughput. */
export interface Target {
  readonly bound: "at most" | "at least"
  readonly limit: number
}

/** A ratio of two figures of the same run. */
export interface Ratio {
  readonly name: string
  readonly value: number
  readonly target?: Target | undefined
}

/** The result of one measurement script. */
export interface Result {
  readonly id: string
  readonly title: string
  /** Settings that change the figures: round counts, durations, sizes. */
  readonly settings: Record<string, unknown>
  readonly figures: ReadonlyArray<Figure>
  readonly ratios: ReadonlyArray<Ratio>
  readonly notes: ReadonlyArray<string>
}

/** Checks a ratio against its target. Returns `undefined` for a ratio without a target. */
export const meetsTarget = (ratio: Ratio): boolean | undefined => {
  if (ratio.target === undefined) return undefined
  return ratio.target.bound === "at most" ? ratio.value <= ratio.target.limit : ratio.value >= ratio.target.limit
}

const formatNumber = (value: number): string => {
  if (!Number.isFinite(value)) return String(value)
  const magnitude = Math.abs(value)
  if (magnitude >= 1000) return Math.round(value).toLocaleString("en-US")
  if (magnitude >= 100) return value.toFixed(0)
  if (magnitude >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

/** Formats a result as Markdown tables, the way the runner prints it. */
export const formatResult = (result: Result): string => {
  const lines = [`### ${result.title}`, ""]
  lines.push("| figure | median | unit | rounds |", "| --- | ---: | --- | --- |")
  for (const figure of result.figures) {
    const rounds = figure.rounds?.map(formatNumber).join(", ") ?? ""
    lines.push(`| ${figure.name} | ${formatNumber(figure.value)} | ${figure.unit} | ${rounds} |`)
  }
  if (result.ratios.length > 0) {
    lines.push("", "| ratio | value | target | holds |", "| --- | ---: | --- | --- |")
    for (const ratio of result.ratios) {
      const target = ratio.target === undefined ? "" : `${ratio.target.bound} ${ratio.target.limit}`
      const met = meetsTarget(ratio)
      let verdict = ""
      if (met !== undefined) verdict = met ? "yes" : "no"
      lines.push(`| ${ratio.name} | ${ratio.value.toFixed(3)} | ${target} | ${verdict} |`)
    }
  }
  for (const note of result.notes) lines.push("", `- ${note}`)
  const settings = Object.entries(result.settings)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(", ")
  lines.push("", `Settings: ${settings}`, "")
  return lines.join("\n")
}

/** Options that every measurement script takes. */
export interface ScriptOptions {
  /** The short mode: fewer rounds and shorter runs, for a smoke check. */
  readonly short: boolean
  /** File to write the JSON result to. Without it, only the Markdown goes to stdout. */
  readonly out: string | undefined
}

export const parseOptions = (argv: ReadonlyArray<string>): ScriptOptions => {
  let out: string | undefined
  const outIndex = argv.indexOf("--out")
  if (outIndex !== -1) {
    out = argv[outIndex + 1]
    if (out === undefined) throw new Error("--out needs a file path")
  }
  return { short: argv.includes("--short"), out }
}

/**
 * Runs a measurement as a script: parses the options, prints the result as Markdown and writes
 * it as JSON to `--out`. A failed measurement sets exit code 1, and a missed target never does.
 */
export const runScript = (measure: (options: ScriptOptions) => Promise<Result>): void => {
  const options = parseOptions(process.argv.slice(2))
  measure(options).then(
    (result) => {
      process.stdout.write(`${formatResult(result)}\n`)
      if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`)
      // Clients, timers and child processes left open must not keep a finished measurement alive.
      process.exit(0)
    },
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
