/**
 * The `send` of this package's Redis bindings, with a deadline on every command, and `within`,
 * which gives the commands of one store call a deadline together. Both use one list of deadlines.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redis from "effect/persistence/Redis"
import * as Deadlines from "./deadlines.js"

// The commands of one `within` call that wait for a reply. The call's deadline fails them all.
interface Call {
  expired: boolean
  readonly waiting: Set<() => void>
}

const CurrentCall = Context.Reference<Call | undefined>("@seshat/adapters-redis/internal/commands/CurrentCall", {
  defaultValue: () => undefined
})

// Starts a command. A client that throws at once rejects the promise instead.
const start = (run: (args: Array<string>) => Promise<unknown>, args: Array<string>): Promise<unknown> => {
  try {
    return run(args)
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * Builds `send` over a client's `run`, with a deadline of `timeoutMs` on each command, and `within`.
 * `describe` turns what the client rejects with into the cause of the `RedisError`, and `onTimeout`
 * runs each time a command's wait for its reply expires, with the number of replies received so far.
 */
export const make = (
  run: (args: Array<string>) => Promise<unknown>,
  timeoutMs: number,
  describe: (cause: unknown) => Error,
  onTimeout: (replies: number) => void = () => {}
) => {
  let replies = 0
  const deadlines = Deadlines.make(timeoutMs)
  const timedOut = () => new Redis.RedisError({ cause: new Error(`timed out after ${timeoutMs} ms`) })
  const failed = (cause: unknown) => new Redis.RedisError({ cause: describe(cause) })

  // A command outside `within` has a deadline of its own.
  const sendAlone = <A>(args: Array<string>) =>
    Effect.callback<A, Redis.RedisError>((resume) => {
      const deadline = deadlines.start(() => {
        onTimeout(replies)
        resume(Effect.fail(timedOut()))
      })
      start(run, args).then(
        (reply) => {
          replies++
          if (deadlines.end(deadline)) resume(Effect.succeed(reply as A))
        },
        (cause) => {
          if (deadlines.end(deadline)) resume(Effect.fail(failed(cause)))
        }
      )
    })

  // A command inside `within` waits under the call's deadline, which fails it through `waiting`.
  const sendInCall = <A>(call: Call, args: Array<string>) =>
    Effect.callback<A, Redis.RedisError>((resume) => {
      if (call.expired) return resume(Effect.fail(timedOut()))
      const fail = () => resume(Effect.fail(timedOut()))
      call.waiting.add(fail)
      start(run, args).then(
        (reply) => {
          replies++
          if (call.waiting.delete(fail)) resume(Effect.succeed(reply as A))
        },
        (cause) => {
          if (call.waiting.delete(fail)) resume(Effect.fail(failed(cause)))
        }
      )
    })

  const send = <A>(command: string, ...args: ReadonlyArray<string>): Effect.Effect<A, Redis.RedisError> =>
    Effect.withFiber((fiber) => {
      const call = fiber.getRef(CurrentCall)
      return call === undefined ? sendAlone<A>([command, ...args]) : sendInCall<A>(call, [command, ...args])
    })

  const expire = (call: Call) => {
    call.expired = true
    if (call.waiting.size > 0) onTimeout(replies)
    for (const fail of call.waiting) fail()
    call.waiting.clear()
  }

  /**
   * Runs `effect` with one deadline for every command it sends, in any fiber it forks. Past the
   * deadline, the commands waiting for a reply fail with `RedisError`, and so does every command
   * sent after it. Other waits get no deadline.
   */
  const within = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const call: Call = { expired: false, waiting: new Set() }
      const deadline = deadlines.start(() => expire(call))
      return effect.pipe(
        Effect.provideService(CurrentCall, call),
        Effect.ensuring(Effect.sync(() => deadlines.end(deadline)))
      )
    })

  return { send, within }
}
