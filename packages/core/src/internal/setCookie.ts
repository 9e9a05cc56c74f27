/**
 * Returns the `Set-Cookie` values that set none of `names`. Applying a jar then replaces an earlier
 * value for its cookie, written by a first `applyTo` or by the app, instead of sending two.
 */
export const keepOthers = (values: ReadonlyArray<string>, names: ReadonlySet<string>): ReadonlyArray<string> =>
  values.filter((value) => {
    const equals = value.indexOf("=")
    return equals === -1 || !names.has(value.slice(0, equals).trim())
  })
