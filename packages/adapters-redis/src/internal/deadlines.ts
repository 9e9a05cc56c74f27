/**
 * Deadlines of equal length that share one timer.
 *
 * Every wait lasts the same time, so a wait that starts later never expires earlier, and the list
 * of running waits stays sorted by start. Only its head can be next to expire, so one timer armed
 * for the head serves all of them. Starting a wait appends to the list and ending one unlinks it.
 * Neither touches a timer that is armed. When the timer fires for a head that has since ended, it
 * expires nothing and is armed again for the new head. A steady stream of calls thus costs two list
 * operations per call and about one timer per timeout period. The Effect timeout that the session
 * service would put on each call instead costs about 4 µs per read (docs/benchmarks.md, section 4).
 */

/** One running wait. */
export interface Deadline {
  /** `performance.now()` milliseconds at which the wait expires. */
  readonly expiresAt: number
  readonly onExpire: () => void
  previous: Deadline | undefined
  next: Deadline | undefined
  /** Whether the wait is still in the list: neither ended nor expired. */
  running: boolean
}

/** The running waits of one timeout. */
export interface Deadlines {
  readonly timeoutMs: number
  /** Starts a wait that calls `onExpire` once, unless `end` comes first. */
  readonly start: (onExpire: () => void) => Deadline
  /** Ends a wait. Returns `false` when the wait had expired, and `onExpire` ran, or had ended before. */
  readonly end: (deadline: Deadline) => boolean
}

/** Creates the list for waits of `timeoutMs` milliseconds. Its timer never keeps the process alive. */
export const make = (timeoutMs: number): Deadlines => {
  let head: Deadline | undefined
  let tail: Deadline | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  const unlink = (deadline: Deadline) => {
    if (deadline.previous === undefined) head = deadline.next
    else deadline.previous.next = deadline.next
    if (deadline.next === undefined) tail = deadline.previous
    else deadline.next.previous = deadline.previous
    deadline.previous = undefined
    deadline.next = undefined
    deadline.running = false
  }

  const arm = (expiresAt: number) => {
    // A timer may fire a little before its delay by `performance.now()`, because Node measures it
    // from the event loop's cached time. `fire` then finds nothing expired and arms again.
    timer = setTimeout(fire, Math.max(1, Math.ceil(expiresAt - performance.now())))
    timer.unref()
  }

  const fire = () => {
    timer = undefined
    const now = performance.now()
    // Unlink every expired wait before calling back, because a callback may start new waits.
    const expired: Array<Deadline> = []
    while (head !== undefined && head.expiresAt <= now) {
      expired.push(head)
      unlink(head)
    }
    if (head !== undefined) arm(head.expiresAt)
    for (const deadline of expired) deadline.onExpire()
  }

  const start = (onExpire: () => void): Deadline => {
    const deadline: Deadline = {
      expiresAt: performance.now() + timeoutMs,
      onExpire,
      previous: tail,
      next: undefined,
      running: true
    }
    if (tail === undefined) head = deadline
    else tail.next = deadline
    tail = deadline
    if (timer === undefined) arm(deadline.expiresAt)
    return deadline
  }

  const end = (deadline: Deadline): boolean => {
    if (!deadline.running) return false
    unlink(deadline)
    return true
  }

  return { timeoutMs, start, end }
}
