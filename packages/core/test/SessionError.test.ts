import * as SessionError from "@seshat/core/SessionError"
import { StoreError } from "@seshat/core/SessionStore"
import { assert, describe, it } from "vitest"

const errors = () => [
  new SessionError.NoSession({ reason: "unknown" }),
  new SessionError.SessionExpired({ reason: "idle", sessionId: "s1" }),
  new SessionError.ReauthenticationRequired({ sessionId: "s1", authenticatedAt: undefined }),
  new SessionError.StoreUnavailable({ operation: "get", cause: new Error("connection refused") }),
  new SessionError.SessionConflict({ sessionId: "s1", attempts: 10 }),
  new SessionError.SessionGone({ sessionId: "s1" }),
  new SessionError.SessionTooLarge({ size: 5000, maxSize: 4096 }),
  new SessionError.InvalidSessionData({ detail: "visits: expected a number" }),
  new SessionError.CookieNotWritable({ operation: "ensure" }),
  new SessionError.SessionConfigError({ field: "idleTimeout", detail: "must be longer than zero" }),
  new StoreError({ reason: "Unavailable", cause: new Error("connection refused") })
]

describe("SessionError", () => {
  it("every error describes itself", () => {
    const messages = errors().map((error) => error.message)

    for (const message of messages) assert.isAbove(message.length, 10, message)
    assert.include(messages[9], "idleTimeout")
  })

  // Frameworks add context by assigning the message; Next.js does so to an error thrown while it
  // loads a module, and a getter without a setter would throw and hide the error.
  it("a framework can reassign the message", () => {
    const reassigned = errors().map((error) => {
      const original = error.message
      // The type declares message read-only; a framework assigns it from plain JavaScript.
      ;(error as { message: string }).message = `while loading: ${original}`
      return { error, original }
    })
    const fresh = errors()

    for (const [i, { error, original }] of reassigned.entries()) {
      assert.strictEqual(error.message, `while loading: ${original}`)
      assert.strictEqual(fresh[i]!.message, original)
    }
  })
})
