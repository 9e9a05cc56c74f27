/**
 * Side-by-side timing of operations in one process. Every round runs each candidate for the same
 * time budget, in an order rotated from round to round. A slow phase of the shared machine, such
 * as another tenant or a garbage collection, then spreads over all candidates instead of one.
 */
import { median, rotate } from "./stats.ts"

/** An operation under test. `run(count)` performs it `count` times, one after another. */
export interface Candidate {
  readonly name: string
  readonly run: (count: number) => void | Promise<void>
}

export interface CompareOptions {
  readonly rounds: number
  /** Time each candidate runs per round, in milliseconds. */
  readonly roundMs: number
}

/** Nanoseconds per operation of one candidate: the median and every round's value. */
export interface Timing {
  readonly name: string
  readonly medianNs: number
  readonly roundsNs: ReadonlyArray<number>
}

const nowNs = (): number => Number(process.hrtime.bigint())

// Grows the batch until one batch takes about a millisecond, so reading the clock between batches
// costs nothing next to the work.
const calibrate = async (candidate: Candidate): Promise<number> => {
  let batch = 1
  for (;;) {
    const start = nowNs()
    await candidate.run(batch)
    if (nowNs() - start >= 1_000_000 || batch >= 1 << 20) return batch
    batch *= 2
  }
}

const timeFor = async (candidate: Candidate, batch: number, budgetMs: number): Promise<number> => {
  const budgetNs = budgetMs * 1_000_000
  let operations = 0
  const start = nowNs()
  let elapsed = 0
  do {
    await candidate.run(batch)
    operations += batch
    elapsed = nowNs() - start
  } while (elapsed < budgetNs)
  return elapsed / operations
}

/** Times every candidate over several rounds and returns the medians, in the candidates' order. */
export const compare = async (
  candidates: ReadonlyArray<Candidate>,
  options: CompareOptions
): Promise<ReadonlyArray<Timing>> => {
  const batches = new Map<Candidate, number>()
  // The warm-up round lets the JIT compile every candidate before any time counts.
  for (const candidate of candidates) {
    batches.set(candidate, await calibrate(candidate))
    await timeFor(candidate, batches.get(candidate)!, options.roundMs)
  }
  const samples = new Map<Candidate, Array<number>>(candidates.map((candidate) => [candidate, []]))
  for (let round = 0; round < options.rounds; round++) {
    for (const candidate of rotate(candidates, round)) {
      samples.get(candidate)!.push(await timeFor(candidate, batches.get(candidate)!, options.roundMs))
    }
  }
  return candidates.map((candidate) => {
    const roundsNs = samples.get(candidate)!
    return { name: candidate.name, medianNs: median(roundsNs), roundsNs }
  })
}
