/**
 * CPU time of a process and all its descendants, read from Linux's /proc, for servers such as
 * `next start` that run their work in child processes.
 */
import { readdirSync, readFileSync } from "node:fs"

// Linux reports utime and stime in clock ticks of USER_HZ, which is 100 per second on x86-64
// (`getconf CLK_TCK`), so readings are exact to 10 ms.
const MICROSECONDS_PER_TICK = 10_000

interface ProcessStat {
  readonly pid: number
  readonly parent: number
  readonly ticks: number
}

const readStat = (pid: number): ProcessStat | undefined => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name in brackets may contain spaces, so the fields are counted after its `)`.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    return { pid, parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/** Returns whether this system has /proc, so `treeCpuMicroseconds` can work. */
export const canReadProcessCpu = (): boolean => readStat(process.pid) !== undefined

/** Returns the user and system CPU time of `root` and its descendants so far, in microseconds. */
export const treeCpuMicroseconds = (root: number): number => {
  const stats: Array<ProcessStat> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat !== undefined) stats.push(stat)
  }
  const inTree = new Set([root])
  // Parents can have higher pids than children after pid wrap-around, so repeat until no change.
  let grew = true
  while (grew) {
    grew = false
    for (const stat of stats) {
      if (!inTree.has(stat.pid) && inTree.has(stat.parent)) {
        inTree.add(stat.pid)
        grew = true
      }
    }
  }
  let ticks = 0
  for (const stat of stats) if (inTree.has(stat.pid)) ticks += stat.ticks
  return ticks * MICROSECONDS_PER_TICK
}
