import type * as Sessions from "@seshat/core/Sessions"
import { Vitest } from "@seshat/core/testing"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { assert, describe } from "vitest"
import { cookieName, type Data, jarFor, minute, setup, tokenIn, unknownToken } from "./fixtures.js"

const idle = 30 * minute
const renewal = minute
// The "read at renewal" step renews the session, so its idle deadline counts from here.
const renewedAt = renewal

// One request of a browser session. `cookie` names what the browser sends: nothing, the cookie the
// last Set-Cookie gave it, an earlier one, a value that is not a token, or a well-formed token that
// the server never issued.
interface Step {
  readonly step: string
  readonly at: number
  readonly cookie: "none" | "current" | "previous" | "malformed" | "unknown"
  readonly writable?: boolean
  readonly call: "read" | "ensure" | "update"
  /** The status of `read` with its reason, the origin of `ensure` with its reason, or "updated". */
  readonly outcome: string
  readonly visits?: number
  readonly setCookies: 0 | 1
  /** With one Set-Cookie: whether it carries a new token or the one the request presented. */
  readonly token?: "new" | "same"
}

const steps: ReadonlyArray<Step> = [
  { step: "first visit reads", at: 0, cookie: "none", call: "read", outcome: "Absent", setCookies: 0 },
  {
    step: "first visit ensures",
    at: 0,
    cookie: "none",
    call: "ensure",
    outcome: "created",
    visits: 0,
    setCookies: 1,
    token: "new"
  },
  {
    step: "update before renewal",
    at: 10_000,
    cookie: "current",
    call: "update",
    outcome: "updated",
    visits: 1,
    setCookies: 0
  },
  {
    step: "read before renewal",
    at: renewal - 1,
    cookie: "current",
    call: "read",
    outcome: "Active",
    visits: 1,
    setCookies: 0
  },
  {
    step: "read at renewal",
    at: renewal,
    cookie: "current",
    call: "read",
    outcome: "Active",
    visits: 1,
    setCookies: 1,
    token: "same"
  },
  {
    step: "ensure after renewal",
    at: renewal + 1,
    cookie: "current",
    call: "ensure",
    outcome: "resumed",
    visits: 1,
    setCookies: 0
  },
  {
    step: "read-only read before idle",
    at: renewedAt + idle - 1,
    cookie: "current",
    writable: false,
    call: "read",
    outcome: "Active",
    visits: 1,
    setCookies: 0
  },
  {
    step: "read at idle",
    at: renewedAt + idle,
    cookie: "current",
    writable: false,
    call: "read",
    outcome: "Expired idle",
    setCookies: 0
  },
  {
    step: "ensure after idle",
    at: renewedAt + idle,
    cookie: "current",
    call: "ensure",
    outcome: "replaced idle",
    visits: 0,
    setCookies: 1,
    token: "new"
  },
  {
    step: "expired cookie replayed",
    at: renewedAt + idle + 1,
    cookie: "previous",
    call: "read",
    outcome: "Invalid unknown",
    setCookies: 0
  },
  {
    step: "new session resumes",
    at: renewedAt + idle + 1,
    cookie: "current",
    call: "read",
    outcome: "Active",
    visits: 0,
    setCookies: 0
  },
  {
    step: "malformed cookie reads",
    at: renewedAt + idle + 2,
    cookie: "malformed",
    call: "read",
    outcome: "Invalid malformed",
    setCookies: 0
  },
  {
    step: "malformed cookie ensures",
    at: renewedAt + idle + 2,
    cookie: "malformed",
    call: "ensure",
    outcome: "replaced malformed",
    visits: 0,
    setCookies: 1,
    token: "new"
  },
  {
    step: "unknown token reads",
    at: renewedAt + idle + 3,
    cookie: "unknown",
    call: "read",
    outcome: "Invalid unknown",
    setCookies: 0
  },
  {
    step: "unknown token ensures",
    at: renewedAt + idle + 3,
    cookie: "unknown",
    call: "ensure",
    outcome: "replaced unknown",
    visits: 0,
    setCookies: 1,
    token: "new"
  }
]

const describeStatus = (status: Sessions.Status<Data>): string => {
  switch (status._tag) {
    case "Active":
    case "Absent":
      return status._tag
    case "Expired":
    case "Invalid":
      return `${status._tag} ${status.reason}`
  }
}

const describeOrigin = (session: Sessions.Session<Data>): string =>
  session.replaced === undefined ? session.origin : `${session.origin} ${session.replaced}`

describe("SeedFlow", () => {
  Vitest.effect("seed flow step by step", () =>
    Effect.gen(function* () {
      const { sessions } = yield* setup()
      const issued: Array<string> = []
      let current: string | undefined
      let previous: string | undefined

      for (const row of steps) {
        yield* TestClock.setTime(row.at)
        const presented = {
          none: undefined,
          current,
          previous,
          malformed: `${cookieName}=not-a-token`,
          unknown: `${cookieName}=${unknownToken}`
        }[row.cookie]
        const jar = jarFor(presented, { writable: row.writable ?? true })

        let outcome: string
        let visits: number | undefined
        if (row.call === "read") {
          const status = yield* sessions.read(jar)
          outcome = describeStatus(status)
          visits = status._tag === "Active" ? status.session.data.visits : undefined
        } else if (row.call === "ensure") {
          const session = yield* sessions.ensure(jar)
          outcome = describeOrigin(session)
          visits = session.data.visits
        } else {
          const session = yield* sessions.update(jar, (data) => ({ ...data, visits: data.visits + 1 }))
          outcome = "updated"
          visits = session.data.visits
        }
        const headers = jar.setCookieHeaders()

        assert.strictEqual(outcome, row.outcome, row.step)
        assert.strictEqual(visits, row.visits, row.step)
        assert.strictEqual(headers.length, row.setCookies, row.step)
        if (row.setCookies === 1) {
          const pair = headers[0]!.split(";")[0]!
          const token = tokenIn(pair)
          const presentedToken = presented === undefined ? undefined : tokenIn(presented)
          assert.isTrue(pair.startsWith(`${cookieName}=`), row.step)
          if (row.token === "same") assert.strictEqual(token, presentedToken, row.step)
          if (row.token === "new") {
            assert.notStrictEqual(token, presentedToken, row.step)
            assert.notInclude(issued, token, row.step)
            issued.push(token)
            previous = current
          }
          current = pair
        }
      }
    })
  )
})
