/** Returns the median of a non-empty list: the middle value, or the mean of the two middle ones. */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) throw new RangeError("median of an empty list")
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Returns the `fraction` quantile (0 to 1) of a non-empty list, by the nearest-rank method. */
export const quantile = (values: ReadonlyArray<number>, fraction: number): number => {
  if (values.length === 0) throw new RangeError("quantile of an empty list")
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)))
  return sorted[rank - 1]!
}

/** Rotates a list by `offset`, so each round of a comparison starts with another candidate. */
export const rotate = <A>(items: ReadonlyArray<A>, offset: number): Array<A> => {
  const start = offset % items.length
  return [...items.slice(start), ...items.slice(0, start)]
}
