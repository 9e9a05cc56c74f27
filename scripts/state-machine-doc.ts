// Renders SessionMachine.table as the Mermaid diagram and the table of docs/state-machine.md.
// `npm run docs:state-machine` rewrites the generated part of that page; a unit test fails when the
// page and the table disagree.
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { SessionMachine } from "@seshat/core"

export const docPath = fileURLToPath(new URL("../docs/state-machine.md", import.meta.url))
export const begin = "<!-- generated from SessionMachine.table: begin -->"
export const end = "<!-- generated from SessionMachine.table: end -->"

const commands = (row: SessionMachine.Row) => (row.commands.length === 0 ? "none" : row.commands.join(", "))

/** Renders the generated part of the page from the transition table. */
export const render = (table: ReadonlyArray<SessionMachine.Row>): string => {
  const state = (name: string) => (name === "Request" ? "[*]" : name)
  const diagram = table.map((row) => `  ${state(row.from)} --> ${row.to}: ${row.on} [${row.when}]`)
  const rows = table.map((row) => `| ${row.from} | ${row.on} | ${row.when} | ${row.to} | ${commands(row)} |`)
  return [
    begin,
    "",
    "```mermaid",
    "stateDiagram-v2",
    ...diagram,
    "```",
    "",
    "| from | event | when | to | commands |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    end
  ].join("\n")
}

/** Returns the generated part currently in the page. */
export const current = (page: string): string => page.slice(page.indexOf(begin), page.indexOf(end) + end.length)

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const page = readFileSync(docPath, "utf8")
  writeFileSync(docPath, page.replace(current(page), render(SessionMachine.table)))
  console.log(`Wrote ${docPath}`)
}
