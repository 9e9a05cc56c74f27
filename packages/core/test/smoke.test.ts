import { assert, describe } from "vitest"
import { Vitest } from "@seshat/core/testing"
import * as Effect from "effect/Effect"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Duration from "effect/Duration"
import { TestClock } from "effect/testing"
import * as Sessions from "@seshat/core/Sessions"
import * as Token from "@seshat/core/Token"
import * as WebCookies from "@seshat/core/WebCookies"
import { layerMemory } from "@seshat/adapters-memory"

const Data = Schema.Struct({ visits: Schema.Number })
class App extends Context.Service<App, Sessions.Sessions<typeof Data.Type>>()("test/App") {}
const live = Sessions.layer(App, {
  schema: Data,
  initial: () => ({ visits: 0 }),
  policy: { idleTimeout: "30 minutes", absoluteTimeout: "12 hours", renewalInterval: "1 minute" }
}).pipe(Layer.provide(Layer.merge(layerMemory(), Token.layerTest())))

describe("smoke", () => {
  Vitest.effect("ensure then read", () =>
    Effect.gen(function* () {
      const sessions = yield* App
      const first = WebCookies.fromRequest(new Request("http://x/"))
      const created = yield* sessions.ensure(first)
      const setCookie = first.setCookieHeaders()[0]!
      const cookie = setCookie.split(";")[0]!
      const second = WebCookies.fromRequest(new Request("http://x/", { headers: { cookie } }))
      const status = yield* sessions.read(second)
      yield* TestClock.adjust(Duration.minutes(31))
      const third = WebCookies.fromRequest(new Request("http://x/", { headers: { cookie } }))
      const expired = yield* sessions.read(third)

      assert.strictEqual(created.origin, "created")
      assert.strictEqual(status._tag, "Active")
      assert.strictEqual(second.setCookieHeaders().length, 0)
      assert.strictEqual(expired._tag, "Expired")
    }).pipe(Effect.provide(live))
  )
})
