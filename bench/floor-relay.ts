/**
 * The floor of `make bench`'s side-by-side section: the least a Node relay can do. node:http in,
 * undici's request() out on a keep-alive pool, the upstream's SSE body piped through unchanged; no
 * framework, no parsing, no web streams. Anything a gateway adds on top of this is its own cost.
 * Run as a process: `FLOOR_UPSTREAM=http://127.0.0.1:8001/v1 FLOOR_PORT=0 node dist/bench/floor-relay.js`.
 */
import { createServer, type Server } from "node:http";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { Agent, request } from "undici";

/** `POST /v1/<path>` → `POST <upstream>/<path>`; anything else (e.g. `GET /healthz`) answers 200. */
export function createFloorRelay(upstream: string): Server {
  const agent = new Agent({ connections: null, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  return createServer((req, res) => {
    if (req.method !== "POST") return void res.end("ok");
    const body: Buffer[] = [];
    req.on("data", (b: Buffer) => body.push(b));
    req.on("end", () => {
      const gone = new AbortController();
      res.on("close", () => gone.abort());
      request(`${upstream}${(req.url ?? "").replace(/^\/v1/, "")}`, {
        dispatcher: agent,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Buffer.concat(body),
        signal: gone.signal,
      })
        .then((up) => {
          res.writeHead(up.statusCode, { "content-type": String(up.headers["content-type"] ?? "application/json") });
          return pipeline(up.body, res);
        })
        .catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    });
  });
}

// As a process: listen, and say on which port (FLOOR_PORT=0 lets the OS choose).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = createFloorRelay(process.env.FLOOR_UPSTREAM ?? "http://127.0.0.1:8001/v1");
  server.listen(Number(process.env.FLOOR_PORT ?? "0"), "127.0.0.1", () => {
    const addr = server.address();
    process.stdout.write(`listening ${typeof addr === "object" && addr ? addr.port : 0}\n`);
  });
  process.on("SIGTERM", () => process.exit(0));
}
