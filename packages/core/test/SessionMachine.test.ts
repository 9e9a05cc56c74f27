import * as Cookie from "@seshat/core/Cookie"
import * as Policy from "@seshat/core/Policy"
import * as SessionMachine from "@seshat/core/SessionMachine"
import type { SessionRecord } from "@seshat/core/SessionRecord"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { assert, describe, it } from "vitest"

interface Data {
  readonly visits: number
}

type State = SessionMachine.State<Data>
type Active = Extract<State, { _tag: "Active" }>
type Event = SessionMachine.Event<Data>
type Command = SessionMachine.Command<Data>

const minute = 60_000
const hour = 60 * minute

const makePolicy = (options: Policy.PolicyOptions): Policy.Policy => {
  const result = Policy.make(options)
  if (Result.isFailure(result)) throw result.failure
  return result.success
}

// 30 minutes idle, 12 hours absolute, renewal at most once a minute, 15 minutes of clock skew.
const policy = makePolicy(Policy.asvsLevel2)
const idle = policy.idleTimeoutMs
const absolute = policy.absoluteTimeoutMs
const renewal = policy.renewalIntervalMs
const skew = policy.clockSkewMs

const token = Redacted.make("dG9rZW4tb2YtdGhlLXN0YXRlLW1hY2hpbmUtdGVzdHM")
const nextToken = Redacted.make("bmV4dC10b2tlbi1vZi10aGUtbWFjaGluZS10ZXN0cw")

const createEvent = (userId?: string): Event => ({
  _tag: "Create",
  token,
  key: "key-1",
  sessionId: "session-1",
  data: { visits: 0 },
  userId
})

const rotateEvent = (authenticate: boolean, userId?: string): Event => ({
  _tag: "Rotate",
  token: nextToken,
  key: "key-2",
  sessionId: "session-2",
  userId,
  data: { visits: 0 },
  authenticate
})

// Creates a session at `now` through the machine itself, so the record follows the policy's rules.
const activeAt = (now: number, userId?: string): Active => {
  const { state } = SessionMachine.transition(policy, { _tag: "Absent" }, createEvent(userId), now)
  assert.strictEqual(state._tag, "Active")
  return state as Active
}

const found = (record: SessionRecord<Data>): SessionMachine.Observation<Data> => ({
  _tag: "Found",
  key: "key-1",
  token,
  record,
  version: 1
})

const tags = (commands: ReadonlyArray<Command>) => commands.map((command) => command._tag)

const setCookieOf = (commands: ReadonlyArray<Command>): Extract<Cookie.CookieWrite, { _tag: "Set" }> => {
  const command = commands.find((candidate) => candidate._tag === "SetCookie")
  assert.isDefined(command, "expected a SetCookie command")
  const write = (command as Extract<Command, { _tag: "SetCookie" }>).write
  assert.strictEqual(write._tag, "Set")
  return write as Extract<Cookie.CookieWrite, { _tag: "Set" }>
}

const activeOf = (state: State): Active => {
  assert.strictEqual(state._tag, "Active")
  return state as Active
}

// Inputs for each row of the table. A row whose condition is not listed here fails the table test,
// so a new row must come with a way to reach it.
type RowInput =
  | { readonly _tag: "Observe"; readonly observation: SessionMachine.Observation<Data>; readonly now: number }
  | { readonly _tag: "Transition"; readonly state: State; readonly event: Event; readonly now: number }

const start = 10 * hour

const observationFor = (tag: string, when: string): SessionMachine.Observation<Data> => {
  const fresh = activeAt(start).record
  switch (tag) {
    case "NoCookie":
    case "Ambiguous":
    case "Malformed":
    case "NotFound":
      return { _tag: tag }
    case "Corrupt":
      return { _tag: "Corrupt", key: "key-1", sessionId: "session-1" }
    case "Found":
      switch (when) {
        case "a timestamp lies in the future":
          return found(activeAt(start + hour).record)
        case "the absolute deadline passed":
          return found({ ...fresh, createdAt: start - absolute, absoluteExpiresAt: start, idleExpiresAt: start })
        case "the idle deadline passed":
          return found({ ...fresh, createdAt: start - idle, lastActivityAt: start - idle, idleExpiresAt: start })
        case "both deadlines ahead":
          return found(fresh)
      }
  }
  throw new Error(`no input for the row "Observe ${tag}" when "${when}": add a case to observationFor`)
}

const stateFor = (tag: SessionMachine.Row["from"]): State => {
  switch (tag) {
    case "Absent":
      return { _tag: "Absent" }
    case "Active":
      return activeAt(start - 2 * renewal)
    case "Expired":
      return { _tag: "Expired", reason: "idle", sessionId: "session-1" }
    case "Invalid":
      return { _tag: "Invalid", reason: "unknown" }
    case "Request":
      throw new Error("a Request row must be an observation")
  }
}

const eventFor = (tag: string, state: State, when: string): Event => {
  switch (tag) {
    case "Create":
      return createEvent()
    case "Touch":
      return { _tag: "Touch" }
    case "Update":
      return { _tag: "Update", data: { visits: 1 } }
    case "Flash": {
      const current = state._tag === "Active" ? state.record.flash : undefined
      return { _tag: "Flash", message: when === "the message is unchanged" ? current : "saved" }
    }
    case "Rotate":
      return rotateEvent(false)
    case "Destroy":
      return { _tag: "Destroy" }
  }
  throw new Error(`no input for the event "${tag}": add a case to eventFor`)
}

const nowFor = (state: State, when: string): number => {
  const last = state._tag === "Active" ? state.record.lastActivityAt : start
  switch (when) {
    case "renewal due":
      return last + renewal
    case "renewal not due":
      return last + renewal - 1
    case "the message changes":
    case "the message is unchanged":
      return start
  }
  if (when.startsWith("always")) return start
  throw new Error(`no clock time for the condition "${when}": add a case to nowFor`)
}

const inputFor = (row: SessionMachine.Row): RowInput => {
  if (row.on.startsWith("Observe ")) {
    return { _tag: "Observe", observation: observationFor(row.on.slice("Observe ".length), row.when), now: start }
  }
  const state = stateFor(row.from)
  return { _tag: "Transition", state, event: eventFor(row.on, state, row.when), now: nowFor(state, row.when) }
}

const apply = (input: RowInput): SessionMachine.Transition<Data> =>
  input._tag === "Observe"
    ? SessionMachine.observe(policy, input.observation, input.now)
    : SessionMachine.transition(policy, input.state, input.event, input.now)

describe("SessionMachine.table", () => {
  const rows = SessionMachine.table.map((row) => [`${row.from} ${row.on} when ${row.when}`, row] as const)

  it.each(rows)("%s", (_name, row) => {
    const input = inputFor(row)

    const result = apply(input)

    assert.strictEqual(result.state._tag, row.to)
    assert.deepStrictEqual(tags(result.commands), [...row.commands])
  })

  it("table covers every state and event", () => {
    const states = ["Absent", "Active", "Expired", "Invalid"] as const
    const events = new Set(SessionMachine.table.map((row) => row.on).filter((on) => !on.startsWith("Observe ")))

    const missing = states.flatMap((from) =>
      [...events].filter((on) => !SessionMachine.table.some((row) => row.from === from && row.on === on))
    )

    assert.deepStrictEqual(missing, [])
  })

  it("table covers every observation", () => {
    const observations = ["NoCookie", "Ambiguous", "Malformed", "NotFound", "Corrupt", "Found"]

    const covered = new Set<string>(SessionMachine.table.map((row) => row.on))

    for (const tag of observations) assert.isTrue(covered.has(`Observe ${tag}`), tag)
  })
})

describe("SessionMachine.observe", () => {
  it("observe classifies cookie problems", () => {
    const cases = [
      [{ _tag: "NoCookie" }, { _tag: "Absent" }],
      [{ _tag: "Ambiguous" }, { _tag: "Invalid", reason: "ambiguous" }],
      [{ _tag: "Malformed" }, { _tag: "Invalid", reason: "malformed" }],
      [{ _tag: "NotFound" }, { _tag: "Invalid", reason: "unknown" }]
    ] as const

    for (const [observation, state] of cases) {
      const result = SessionMachine.observe<Data>(policy, observation, 0)

      assert.deepStrictEqual(result.state, state)
      assert.deepStrictEqual(result.commands, [])
    }
  })

  it("observe drops a corrupt record", () => {
    const result = SessionMachine.observe<Data>(policy, { _tag: "Corrupt", key: "key-9", sessionId: "s-9" }, 0)

    assert.deepStrictEqual(result.state, { _tag: "Invalid", reason: "corrupt" })
    assert.deepStrictEqual(result.commands, [{ _tag: "DeleteRecord", key: "key-9", sessionId: "s-9" }])
  })

  it("observe idle deadline boundary", () => {
    const { record } = activeAt(0)

    const before = SessionMachine.observe(policy, found(record), idle - 1)
    const at = SessionMachine.observe(policy, found(record), idle)

    assert.strictEqual(record.idleExpiresAt, idle)
    assert.strictEqual(before.state._tag, "Active")
    assert.deepStrictEqual(before.commands, [])
    assert.deepStrictEqual(at.state, { _tag: "Expired", reason: "idle", sessionId: "session-1" })
    assert.deepStrictEqual(tags(at.commands), ["DeleteRecord"])
  })

  it("observe absolute deadline boundary", () => {
    let state = activeAt(0)
    for (let now = 20 * minute; now < absolute; now += 20 * minute) {
      state = activeOf(SessionMachine.transition(policy, state, { _tag: "Touch" }, now).state)
    }

    const before = SessionMachine.observe(policy, found(state.record), absolute - 1)
    const at = SessionMachine.observe(policy, found(state.record), absolute)

    assert.isAbove(state.record.lastActivityAt, absolute - idle)
    assert.strictEqual(before.state._tag, "Active")
    assert.deepStrictEqual(at.state, { _tag: "Expired", reason: "absolute", sessionId: "session-1" })
    assert.deepStrictEqual(tags(at.commands), ["DeleteRecord"])
  })

  it("observe prefers absolute over idle", () => {
    const { record } = activeAt(0)
    const stale = { ...record, idleExpiresAt: absolute }

    const result = SessionMachine.observe(policy, found(stale), absolute)

    assert.deepStrictEqual(result.state, { _tag: "Expired", reason: "absolute", sessionId: "session-1" })
  })

  it("observe uses stored deadlines, not the policy", () => {
    const { record } = activeAt(0)
    const shortened = { ...record, idleExpiresAt: 5 * minute }

    const result = SessionMachine.observe(policy, found(shortened), 5 * minute)

    assert.deepStrictEqual(result.state, { _tag: "Expired", reason: "idle", sessionId: "session-1" })
  })

  it("observe future-stamped record is corrupt", () => {
    const now = 5 * hour
    const { record } = activeAt(now)
    const stamped: Record<string, SessionRecord<Data>> = {
      createdAt: { ...record, createdAt: now + hour, lastActivityAt: now + hour },
      lastActivityAt: { ...record, lastActivityAt: now + hour },
      authenticatedAt: { ...record, authenticatedAt: now + hour }
    }

    for (const [field, future] of Object.entries(stamped)) {
      const result = SessionMachine.observe(policy, found(future), now)

      assert.deepStrictEqual(result.state, { _tag: "Invalid", reason: "corrupt" }, field)
      assert.deepStrictEqual(result.commands, [{ _tag: "DeleteRecord", key: "key-1", sessionId: "session-1" }], field)
    }
  })

  it("observe inconsistent record is corrupt", () => {
    const now = 5 * hour
    const { record } = activeAt(now)
    const inconsistent: Record<string, SessionRecord<Data>> = {
      "activity before creation": { ...record, lastActivityAt: record.createdAt - 1 },
      "idle deadline past absolute": { ...record, idleExpiresAt: record.absoluteExpiresAt + 1 }
    }

    for (const [name, bad] of Object.entries(inconsistent)) {
      const result = SessionMachine.observe(policy, found(bad), now)

      assert.deepStrictEqual(result.state, { _tag: "Invalid", reason: "corrupt" }, name)
    }
  })

  it("observe keeps deadlines of a shortened policy", () => {
    const now = 5 * hour
    const { record } = activeAt(now)
    const shorter = Policy.make({ idleTimeout: "5 minutes", absoluteTimeout: "1 hour", renewalInterval: "1 minute" })
    assert.isTrue(Result.isSuccess(shorter))

    const result = SessionMachine.observe(Result.getOrThrow(shorter), found(record), now)

    assert.strictEqual(result.state._tag, "Active")
  })

  it("observe clock skew boundary", () => {
    const now = 5 * hour
    const { record } = activeAt(now)
    const at = (stamp: number) => ({ ...record, createdAt: stamp, lastActivityAt: stamp })

    const within = SessionMachine.observe(policy, found(at(now + skew)), now)
    const beyond = SessionMachine.observe(policy, found(at(now + skew + 1)), now)

    assert.strictEqual(within.state._tag, "Active")
    assert.deepStrictEqual(beyond.state, { _tag: "Invalid", reason: "corrupt" })
  })

  it("observe survives a 10 minute step back", () => {
    const { record } = activeAt(hour)

    const result = SessionMachine.observe(policy, found(record), hour - 10 * minute)
    const touched = SessionMachine.transition(policy, result.state, { _tag: "Touch" }, hour - 10 * minute)

    assert.strictEqual(result.state._tag, "Active")
    assert.deepStrictEqual(touched.commands, [])
  })

  it("observe tolerates a clock step back", () => {
    const { record } = activeAt(10 * minute)

    const result = SessionMachine.observe(policy, found(record), 10 * minute - 30_000)

    assert.strictEqual(result.state._tag, "Active")
    assert.deepStrictEqual(result.commands, [])
  })
})

describe("SessionMachine.transition", () => {
  it("create sets both deadlines", () => {
    const result = SessionMachine.transition(policy, { _tag: "Absent" }, createEvent(), 1000)
    const { record, version } = activeOf(result.state)

    assert.strictEqual(version, 1)
    assert.strictEqual(record.createdAt, 1000)
    assert.strictEqual(record.lastActivityAt, 1000)
    assert.strictEqual(record.idleExpiresAt, 1000 + idle)
    assert.strictEqual(record.absoluteExpiresAt, 1000 + absolute)
    assert.isUndefined(record.authenticatedAt)
    assert.isUndefined(record.userId)
    assert.deepStrictEqual(tags(result.commands), ["InsertRecord", "SetCookie"])
  })

  it("create with a user stamps authenticatedAt", () => {
    const { record } = activeAt(1000, "user-1")

    assert.strictEqual(record.userId, "user-1")
    assert.strictEqual(record.authenticatedAt, 1000)
  })

  it("create caps idle at absolute", () => {
    const short = makePolicy({ idleTimeout: "1 hour", absoluteTimeout: "1 hour", renewalInterval: "1 minute" })

    const { record } = activeOf(SessionMachine.transition(short, { _tag: "Absent" }, createEvent(), 0).state)

    assert.strictEqual(record.idleExpiresAt, hour)
    assert.strictEqual(record.absoluteExpiresAt, hour)
  })

  it("create cookie lives until idle deadline", () => {
    const result = SessionMachine.transition(policy, { _tag: "Absent" }, createEvent(), 1000)

    const write = setCookieOf(result.commands)

    assert.strictEqual(write.maxAgeSeconds, idle / 1000)
    assert.strictEqual(write.expiresAt, 1000 + idle)
    assert.strictEqual(Redacted.value(write.value), Redacted.value(token))
  })

  it("touch renewal throttle boundary", () => {
    const state = activeAt(0)

    const early = SessionMachine.transition(policy, state, { _tag: "Touch" }, renewal - 1)
    const due = SessionMachine.transition(policy, state, { _tag: "Touch" }, renewal)
    const renewed = activeOf(due.state)

    assert.strictEqual(early.state, state)
    assert.deepStrictEqual(early.commands, [])
    assert.deepStrictEqual(tags(due.commands), ["UpdateRecord", "SetCookie"])
    assert.strictEqual(renewed.version, 2)
    assert.strictEqual(renewed.record.lastActivityAt, renewal)
    assert.strictEqual(renewed.record.idleExpiresAt, renewal + idle)
    assert.strictEqual(renewed.record.absoluteExpiresAt, absolute)
  })

  it("touch update carries the next version", () => {
    const state = activeAt(0)

    const { commands } = SessionMachine.transition(policy, state, { _tag: "Touch" }, renewal)
    const update = commands[0] as Extract<Command, { _tag: "UpdateRecord" }>

    assert.strictEqual(update._tag, "UpdateRecord")
    assert.strictEqual(update.version, 2)
    assert.strictEqual(update.key, "key-1")
  })

  it("update without renewal keeps activity", () => {
    const state = activeAt(0)

    const result = SessionMachine.transition(policy, state, { _tag: "Update", data: { visits: 3 } }, renewal - 1)
    const updated = activeOf(result.state)

    assert.deepStrictEqual(tags(result.commands), ["UpdateRecord"])
    assert.deepStrictEqual(updated.record.data, { visits: 3 })
    assert.strictEqual(updated.record.lastActivityAt, 0)
    assert.strictEqual(updated.record.idleExpiresAt, idle)
    assert.strictEqual(updated.version, 2)
  })

  it("update with renewal due renews", () => {
    const state = activeAt(0)

    const result = SessionMachine.transition(policy, state, { _tag: "Update", data: { visits: 3 } }, renewal)
    const updated = activeOf(result.state)

    assert.deepStrictEqual(tags(result.commands), ["UpdateRecord", "SetCookie"])
    assert.deepStrictEqual(updated.record.data, { visits: 3 })
    assert.strictEqual(updated.record.lastActivityAt, renewal)
    assert.strictEqual(updated.record.idleExpiresAt, renewal + idle)
  })

  it("touch and update never extend absolute", () => {
    let state = activeAt(0)
    const events: ReadonlyArray<Event> = [{ _tag: "Touch" }, { _tag: "Update", data: { visits: 1 } }]

    for (let now = 0; now < absolute; now += 7 * minute) {
      for (const event of events) {
        state = activeOf(SessionMachine.transition(policy, state, event, now).state)

        assert.strictEqual(state.record.absoluteExpiresAt, absolute)
        assert.isAtMost(state.record.idleExpiresAt, absolute)
      }
    }
  })

  it("rotate keeps absolute unless authenticating", () => {
    const state = activeAt(0, "user-1")

    const rotated = activeOf(SessionMachine.transition(policy, state, rotateEvent(false, "user-1"), 6 * hour).state)
    const signedIn = activeOf(SessionMachine.transition(policy, state, rotateEvent(true, "user-1"), 6 * hour).state)

    assert.strictEqual(rotated.record.absoluteExpiresAt, absolute)
    assert.strictEqual(rotated.record.authenticatedAt, 0)
    assert.strictEqual(signedIn.record.absoluteExpiresAt, 6 * hour + absolute)
    assert.strictEqual(signedIn.record.authenticatedAt, 6 * hour)
  })

  it("rotate writes the new record, then deletes the old version", () => {
    const state = activeAt(0, "user-1")

    const result = SessionMachine.transition(policy, state, rotateEvent(false, "user-1"), minute)
    const rotated = activeOf(result.state)

    assert.strictEqual(result.commands[0]?._tag, "InsertRecord")
    assert.deepStrictEqual(result.commands[1], {
      _tag: "DeleteRecord",
      key: "key-1",
      sessionId: "session-1",
      version: 1
    })
    assert.strictEqual(rotated.key, "key-2")
    assert.strictEqual(rotated.version, 1)
    assert.strictEqual(Redacted.value(setCookieOf(result.commands).value), Redacted.value(nextToken))
  })

  it("rotate to another user drops data", () => {
    const state = activeOf(
      SessionMachine.transition(policy, activeAt(0, "user-1"), { _tag: "Update", data: { visits: 9 } }, 0).state
    )

    const rotated = activeOf(SessionMachine.transition(policy, state, rotateEvent(true, "user-2"), minute).state)

    assert.strictEqual(rotated.record.userId, "user-2")
    assert.strictEqual(rotated.record.id, "session-2")
    assert.deepStrictEqual(rotated.record.data, { visits: 0 })
    assert.strictEqual(rotated.record.createdAt, minute)
  })

  it("cookie Max-Age within absolute lifetime", () => {
    let state = activeAt(0)

    for (let now = renewal; now < absolute; now += 13 * minute + 17) {
      const result = SessionMachine.transition(policy, state, { _tag: "Touch" }, now)
      state = activeOf(result.state)
      const write = setCookieOf(result.commands)

      assert.isAtMost(write.maxAgeSeconds * 1000, absolute - now, `at ${now}`)
      assert.isAtMost(write.expiresAt, absolute, `at ${now}`)
      assert.isAtLeast(write.maxAgeSeconds, 0, `at ${now}`)
    }
  })

  it("cookie Max-Age near the absolute deadline", () => {
    const state = activeAt(0)
    const now = absolute - 10 * minute - 500

    const result = SessionMachine.transition(policy, state, { _tag: "Touch" }, now)

    assert.strictEqual(setCookieOf(result.commands).maxAgeSeconds, 10 * 60)
  })

  it("cookie Max-Age capped at 400 days", () => {
    const long = makePolicy({ idleTimeout: "500 days", absoluteTimeout: "600 days", renewalInterval: "1 day" })

    const result = SessionMachine.transition(long, { _tag: "Absent" }, createEvent(), 0)

    assert.strictEqual(setCookieOf(result.commands).maxAgeSeconds, Cookie.MAX_AGE_LIMIT_SECONDS)
  })

  it("activity never moves backwards", () => {
    const state = activeAt(10 * minute)
    const earlier = 10 * minute - 30_000

    const touched = SessionMachine.transition(policy, state, { _tag: "Touch" }, earlier)
    const updated = SessionMachine.transition(policy, state, { _tag: "Update", data: { visits: 1 } }, earlier)
    const record = activeOf(updated.state).record

    assert.deepStrictEqual(touched.commands, [])
    assert.deepStrictEqual(tags(updated.commands), ["UpdateRecord"])
    assert.strictEqual(record.lastActivityAt, 10 * minute)
    assert.strictEqual(record.idleExpiresAt, 10 * minute + idle)
  })

  it("renewal not due when the clock went back", () => {
    const { record } = activeAt(10 * minute)

    const due = SessionMachine.isRenewalDue(policy, record, 10 * minute - renewal)

    assert.isFalse(due)
  })

  it("renewal every request with zero interval", () => {
    const eager = makePolicy({ idleTimeout: "30 minutes", absoluteTimeout: "1 hour", renewalInterval: 0 })
    const { record } = activeOf(SessionMachine.transition(eager, { _tag: "Absent" }, createEvent(), 1000).state)

    const same = SessionMachine.isRenewalDue(eager, record, 1000)
    const later = SessionMachine.isRenewalDue(eager, record, 1001)

    assert.isFalse(same)
    assert.isTrue(later)
  })

  it("destroy of active deletes then clears", () => {
    const state = activeAt(0)

    const result = SessionMachine.transition(policy, state, { _tag: "Destroy" }, minute)

    assert.deepStrictEqual(result.state, { _tag: "Absent" })
    assert.deepStrictEqual(result.commands, [
      { _tag: "DeleteRecord", key: "key-1", sessionId: "session-1" },
      { _tag: "ClearCookie" }
    ])
  })

  it("create on active changes nothing", () => {
    const state = activeAt(0)

    const result = SessionMachine.transition(policy, state, createEvent(), minute)

    assert.strictEqual(result.state, state)
    assert.deepStrictEqual(result.commands, [])
  })
})
