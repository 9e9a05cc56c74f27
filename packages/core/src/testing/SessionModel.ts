/**
 * A model-based property test of the session service: fast-check draws random sequences of
 * requests (ensure, read, update, concurrent updates, rotate, login, logout, revoke-all, unknown
 * tokens) and clock moves, runs them against the real service over a store, and compares every
 * outcome with a small model. Any store can run it:
 *
 * ```ts
 * import { SessionModel } from "@seshat/core/testing"
 * it("model", () => SessionModel.check({ store: () => layerMemory() }))
 * ```
 *
 * Invariants: an expired or revoked session is never served, the absolute deadline never moves
 * later except at sign-in, a rotated or revoked token never works again, a cookie's Max-Age never
 * exceeds the remaining absolute lifetime, no update is lost, and unknown tokens never create
 * records. On failure fast-check prints the shrunk command list and the seed that replays it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import * as Cookie from "../Cookie.js"
import * as Sessions from "../Sessions.js"
import { SessionStore } from "../SessionStore.js"
import * as Token from "../Token.js"
import * as WebCookies from "../WebCookies.js"
import * as Vitest from "./Vitest.js"

const MINUTE = 60_000
const IDLE = 30 * MINUTE
const ABSOLUTE = 2 * 60 * MINUTE
const RENEWAL = MINUTE
const CLIENTS = 3
const USERS = ["alice", "bob"] as const

/**
 * One step of a generated run.
 *
 * @since 0.1.0
 * @category models
 */
export type Step =
  | { readonly _tag: "Ensure"; readonly client: number }
  | { readonly _tag: "Read"; readonly client: number }
  | { readonly _tag: "Update"; readonly client: number }
  | { readonly _tag: "ConcurrentUpdates"; readonly client: number }
  | { readonly _tag: "Rotate"; readonly client: number }
  | { readonly _tag: "Login"; readonly client: number; readonly user: string }
  | { readonly _tag: "Logout"; readonly client: number }
  | { readonly _tag: "RevokeAll"; readonly user: string }
  | { readonly _tag: "UnknownToken" }
  | { readonly _tag: "Advance"; readonly ms: number }

const client = fc.integer({ min: 0, max: CLIENTS - 1 })
const user = fc.constantFrom(...USERS)

/**
 * Arbitrary steps. Clock moves mix small steps, steps around the renewal interval and the idle
 * timeout, and jumps past the absolute timeout.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: client.map((c) => ({ _tag: "Ensure", client: c }) as const), weight: 4 },
  { arbitrary: client.map((c) => ({ _tag: "Read", client: c }) as const), weight: 4 },
  { arbitrary: client.map((c) => ({ _tag: "Update", client: c }) as const), weight: 3 },
  { arbitrary: client.map((c) => ({ _tag: "ConcurrentUpdates", client: c }) as const), weight: 2 },
  { arbitrary: client.map((c) => ({ _tag: "Rotate", client: c }) as const), weight: 1 },
  { arbitrary: fc.record({ client, user }).map((s) => ({ _tag: "Login", ...s }) as const), weight: 2 },
  { arbitrary: client.map((c) => ({ _tag: "Logout", client: c }) as const), weight: 1 },
  { arbitrary: user.map((u) => ({ _tag: "RevokeAll", user: u }) as const), weight: 1 },
  { arbitrary: fc.constant({ _tag: "UnknownToken" } as const), weight: 1 },
  {
    arbitrary: fc
      .oneof(
        fc.integer({ min: 0, max: 2 * RENEWAL }),
        fc.integer({ min: IDLE - 2, max: IDLE + 2 }),
        fc.integer({ min: 0, max: ABSOLUTE + MINUTE })
      )
      .map((ms) => ({ _tag: "Advance", ms }) as const),
    weight: 4
  }
)

interface ModelSession {
  token: string
  userId: string | undefined
  visits: number
  lastActivityAt: number
  idleExpiresAt: number
  absoluteExpiresAt: number
}

const Data = Schema.Struct({ visits: Schema.Number })
class ModelSessions extends Context.Service<ModelSessions, Sessions.Sessions<typeof Data.Type>>()(
  "@seshat/core/testing/SessionModel/Sessions"
) {}

const cookieName = "__Host-model"

/**
 * Options of a model run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** A fresh, empty store for each run. */
  readonly store: () => Layer.Layer<SessionStore, unknown>
  readonly numRuns?: number | undefined
  readonly seed?: number | undefined
}

/**
 * Runs the property. Resolves when every run agrees with the model; rejects with fast-check's
 * report, which names the seed and the shrunk steps, otherwise.
 *
 * @since 0.1.0
 * @category checks
 */
export const check = (options: Options): Promise<void> =>
  fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => Vitest.run(runSteps(steps, options))),
    { numRuns: options.numRuns ?? 100, ...(options.seed === undefined ? {} : { seed: options.seed }) }
  )

const fail = (message: string) => Effect.die(new Error(message))

const expect = (condition: boolean, message: () => string) => (condition ? Effect.void : fail(message()))

/**
 * Runs one sequence of steps against a fresh store and checks it against the model.
 *
 * @since 0.1.0
 * @category checks
 */
export const runSteps = (steps: ReadonlyArray<Step>, options: Options): Effect.Effect<void, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    let inserts = 0
    const counting = Layer.effect(
      SessionStore,
      Effect.map(SessionStore, (store) =>
        SessionStore.of({
          ...store,
          insert: (session) => Effect.tap(store.insert(session), () => Effect.sync(() => void inserts++))
        })
      )
    ).pipe(Layer.provide(options.store()))
    const layer = Sessions.layer(ModelSessions, {
      schema: Data,
      initial: () => ({ visits: 0 }),
      policy: {
        idleTimeout: IDLE,
        absoluteTimeout: ABSOLUTE,
        renewalInterval: RENEWAL,
        cookie: { name: cookieName }
      }
    }).pipe(Layer.provide(Layer.merge(counting, Token.layerTest(7))))
    // Built in the run's scope, so a store that holds connections keeps them until the run ends.
    const sessions = Context.get(yield* Layer.build(layer), ModelSessions)

    const cookies: Array<string | undefined> = Array.from({ length: CLIENTS }, () => undefined)
    const model: Array<ModelSession | undefined> = Array.from({ length: CLIENTS }, () => undefined)
    const dead = new Set<string>()
    let now = 0

    const live = (c: number) => {
      const session = model[c]
      return session !== undefined && now < session.idleExpiresAt && now < session.absoluteExpiresAt
        ? session
        : undefined
    }

    const jarFor = (token: string | undefined) =>
      WebCookies.fromRequest(
        new Request("http://127.0.0.1/", token === undefined ? {} : { headers: { cookie: `${cookieName}=${token}` } })
      )

    // Applies the response's Set-Cookie to the client and checks its Max-Age against the model.
    const receive = (c: number, jar: WebCookies.WebCookieJar) =>
      Effect.gen(function* () {
        const headers = jar.setCookieHeaders()
        yield* expect(headers.length <= 1, () => `more than one Set-Cookie: ${headers.join(" | ")}`)
        if (headers.length === 0) return
        const header = headers[0]!
        const value = Cookie.read(header.split(";")[0]!, cookieName)
        const maxAge = Number(/Max-Age=(\d+)/.exec(header)?.[1])
        if (value._tag !== "Present") {
          cookies[c] = undefined
          return
        }
        cookies[c] = value.value
        const session = live(c)
        yield* expect(session !== undefined, () => "a cookie was set for a client without a live session")
        const remaining = Math.ceil((session!.absoluteExpiresAt - now) / 1000)
        yield* expect(maxAge <= remaining, () => `Max-Age ${maxAge} exceeds the remaining ${remaining} s`)
      })

    const compare = (c: number, session: Sessions.Session<{ readonly visits: number }>, label: string) => {
      const expected = live(c)!
      return expect(
        session.data.visits === expected.visits &&
          session.userId === expected.userId &&
          session.absoluteExpiresAt === expected.absoluteExpiresAt &&
          session.idleExpiresAt === expected.idleExpiresAt,
        () =>
          `${label}: got visits ${session.data.visits}, user ${session.userId}, ` +
          `deadlines ${session.idleExpiresAt}/${session.absoluteExpiresAt}; expected ${JSON.stringify(expected)}`
      )
    }

    const renewIfDue = (session: ModelSession) => {
      if (now - session.lastActivityAt >= RENEWAL && now > session.lastActivityAt) {
        session.lastActivityAt = now
        session.idleExpiresAt = Math.min(now + IDLE, session.absoluteExpiresAt)
      }
    }

    const startSession = (c: number, userId: string | undefined, token: string) => {
      model[c] = {
        token,
        userId,
        visits: 0,
        lastActivityAt: now,
        idleExpiresAt: Math.min(now + IDLE, now + ABSOLUTE),
        absoluteExpiresAt: now + ABSOLUTE
      }
    }

    const retire = (c: number) => {
      const session = model[c]
      if (session !== undefined) dead.add(session.token)
      model[c] = undefined
    }

    for (const current of steps) {
      switch (current._tag) {
        case "Advance": {
          yield* TestClock.adjust(current.ms)
          now += current.ms
          break
        }
        case "Ensure": {
          const c = current.client
          const jar = jarFor(cookies[c])
          const expected = live(c)
          const session = yield* sessions.ensure(jar)
          if (expected === undefined) {
            yield* expect(session.origin !== "resumed", () => "ensure resumed a session the model says is over")
            retire(c)
            const token = jar.setCookieHeaders()[0]?.split(";")[0]?.split("=")[1] ?? ""
            yield* expect(token !== cookies[c], () => "ensure reused the presented token")
            startSession(c, undefined, token)
          } else {
            renewIfDue(expected)
          }
          yield* receive(c, jar)
          yield* compare(c, session, "ensure")
          break
        }
        case "Read": {
          const c = current.client
          const jar = jarFor(cookies[c])
          const expected = live(c)
          const status = yield* sessions.read(jar)
          yield* expect((status._tag === "Active") === (expected !== undefined), () => `read gave ${status._tag}`)
          if (expected !== undefined && status._tag === "Active") {
            renewIfDue(expected)
            yield* compare(c, status.session, "read")
          }
          yield* receive(c, jar)
          break
        }
        case "Update":
        case "ConcurrentUpdates": {
          const c = current.client
          const expected = live(c)
          const writers = current._tag === "Update" ? 1 : 2
          const jars = Array.from({ length: writers }, () => jarFor(cookies[c]))
          const results = yield* Effect.all(
            jars.map((jar) => Effect.result(sessions.update(jar, (data) => ({ visits: data.visits + 1 })))),
            { concurrency: "unbounded" }
          )
          const succeeded = results.filter((result) => result._tag === "Success").length
          if (expected === undefined) {
            yield* expect(succeeded === 0, () => "an update succeeded without a live session")
            break
          }
          yield* expect(succeeded === writers, () => `${writers - succeeded} of ${writers} updates failed`)
          renewIfDue(expected)
          expected.visits += writers
          for (const jar of jars) yield* receive(c, jar)
          const check = yield* sessions.read(jarFor(cookies[c]))
          yield* expect(check._tag === "Active", () => "the session vanished after an update")
          if (check._tag === "Active") yield* compare(c, check.session, "after update")
          break
        }
        case "Rotate":
        case "Login": {
          const c = current.client
          const jar = jarFor(cookies[c])
          const expected = live(c)
          const outcome = yield* Effect.result(
            current._tag === "Rotate" ? sessions.rotate(jar) : sessions.login(jar, current.user)
          )
          if (current._tag === "Rotate" && expected === undefined) {
            yield* expect(outcome._tag === "Failure", () => "rotate succeeded without a live session")
            break
          }
          yield* expect(outcome._tag === "Success", () => `${current._tag} failed`)
          const token = jar.setCookieHeaders()[0]?.split(";")[0]?.split("=")[1] ?? ""
          if (expected === undefined) {
            retire(c)
            startSession(c, current._tag === "Login" ? current.user : undefined, token)
          } else {
            dead.add(expected.token)
            expected.token = token
            expected.lastActivityAt = now
            if (current._tag === "Login") {
              if (expected.userId !== undefined && expected.userId !== current.user) expected.visits = 0
              expected.userId = current.user
              expected.absoluteExpiresAt = now + ABSOLUTE
            }
            expected.idleExpiresAt = Math.min(now + IDLE, expected.absoluteExpiresAt)
          }
          yield* receive(c, jar)
          if (outcome._tag === "Success") yield* compare(c, outcome.success, current._tag)
          break
        }
        case "Logout": {
          const c = current.client
          const jar = jarFor(cookies[c])
          yield* sessions.destroy(jar)
          retire(c)
          yield* receive(c, jar)
          break
        }
        case "RevokeAll": {
          yield* sessions.revokeAll(current.user)
          for (let c = 0; c < CLIENTS; c++) {
            if (model[c]?.userId === current.user) retire(c)
          }
          break
        }
        case "UnknownToken": {
          const before = inserts
          const token = `${"Q".repeat(42)}A`
          const status = yield* sessions.read(jarFor(token))
          yield* expect(status._tag !== "Active", () => "an unknown token was served")
          yield* expect(inserts === before, () => "an unknown token created a record")
          break
        }
      }
      // A retired token must never work again, whatever happened since.
      for (const token of dead) {
        const status = yield* sessions.read(
          WebCookies.fromRequest(new Request("http://127.0.0.1/", { headers: { cookie: `${cookieName}=${token}` } }), {
            writable: false
          })
        )
        yield* expect(status._tag !== "Active", () => `${current._tag}: a retired token still works`)
      }
    }
  })
