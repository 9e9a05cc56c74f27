/**
 * A minimal bridge from `node:http` to a Fetch API handler: each request becomes a Web `Request`
 * and the handler's `Response` is written back. It handles GET requests without a body, which is
 * all the load test sends. The servers with and without sessions use the same bridge, so their
 * ratio isolates the cost of the session.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"

const toRequest = (incoming: IncomingMessage): Request => {
  const headers = new Headers()
  const raw = incoming.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return new Request(`http://${incoming.headers.host ?? "127.0.0.1"}${incoming.url ?? "/"}`, {
    method: incoming.method ?? "GET",
    headers
  })
}

const writeResponse = async (response: Response, outgoing: ServerResponse): Promise<void> => {
  const headers: Array<[string, string]> = []
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers.push([name, value])
  })
  for (const cookie of response.headers.getSetCookie()) headers.push(["set-cookie", cookie])
  const body = Buffer.from(await response.arrayBuffer())
  outgoing.writeHead(response.status, [...headers, ["content-length", String(body.length)]].flat())
  outgoing.end(body)
}

/** Creates a `node:http` request listener that responds to every request with `handler`. */
export const fetchListener =
  (handler: (request: Request) => Promise<Response>): RequestListener =>
  (incoming, outgoing) => {
    handler(toRequest(incoming))
      .then((response) => writeResponse(response, outgoing))
      .catch((error: unknown) => {
        console.error(error)
        outgoing.writeHead(500).end()
      })
  }
