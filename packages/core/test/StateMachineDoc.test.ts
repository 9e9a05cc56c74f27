import { readFileSync } from "node:fs"
import { SessionMachine } from "@seshat/core"
import { describe, expect, it } from "vitest"
import { current, docPath, render } from "../../../scripts/state-machine-doc.js"

describe("docs/state-machine.md", () => {
  it("draws the transition table", () => {
    const page = readFileSync(docPath, "utf8")

    const drawn = current(page)

    // On a mismatch, run `npm run docs:state-machine` and review the diff.
    expect(drawn).toBe(render(SessionMachine.table))
  })

  it("has one diagram edge per row", () => {
    const page = readFileSync(docPath, "utf8")

    const edges = current(page)
      .split("\n")
      .filter((line) => line.includes(" --> "))

    expect(edges.length).toBe(SessionMachine.table.length)
  })
})
