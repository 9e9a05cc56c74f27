/**
 * Lets code outside Seshat assign `message` on errors whose message is computed by a getter.
 * Frameworks add context to an error by assigning its message (Next.js does it to an error thrown
 * while it loads a module), and assigning to a getter without a setter throws a `TypeError` that
 * hides the original error. The assigned text becomes the instance's own message.
 */
export const allowMessageAssignment = (...classes: ReadonlyArray<{ readonly prototype: object }>): void => {
  for (const target of classes) {
    const descriptor = Object.getOwnPropertyDescriptor(target.prototype, "message")
    if (descriptor?.get === undefined) continue
    Object.defineProperty(target.prototype, "message", {
      get: descriptor.get,
      set(this: object, value: unknown) {
        Object.defineProperty(this, "message", { value, writable: true, configurable: true, enumerable: false })
      },
      configurable: true,
      enumerable: descriptor.enumerable ?? false
    })
  }
}
