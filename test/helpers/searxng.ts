import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the fake SearXNG answers; change it between requests through `answer`. */
export type SearxngAnswer =
  | { kind: "results"; results: unknown[] }
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "raw"; contentType: string; body: string }
  /** Never answer (until the client goes away). */
  | { kind: "hang" };

export interface SearxngRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage["headers"];
  /** performance.now() at arrival. */
  at: number;
}

export interface FakeSearxng {
  url: string;
  requests: SearxngRequest[];
  answer: SearxngAnswer;
  /** Requests whose client went away before an answer (a timed-out search). */
  abandoned: number;
  close(): Promise<void>;
}

/**
 * A SearXNG-shaped server on port 0: `GET /search?q=…&format=json` answers
 * `{"query", "number_of_results", "results": […], "answers": [], …}` as SearXNG does; any other
 * path is a 404. Records every request, so tests can prove it was the only thing searched.
 */
export async function startFakeSearxng(answer: SearxngAnswer = { kind: "results", results: [] }): Promise<FakeSearxng> {
  const state: FakeSearxng = { url: "", requests: [], answer, abandoned: 0, close: async () => undefined };
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    state.requests.push({ method: req.method ?? "", path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, at: performance.now() });
    if (u.pathname !== "/search") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const a = state.answer;
    switch (a.kind) {
      case "results":
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            query: u.searchParams.get("q"),
            number_of_results: a.results.length,
            results: a.results,
            answers: [],
            corrections: [],
            infoboxes: [],
            suggestions: [],
            unresponsive_engines: [],
          }),
        );
        return;
      case "status":
        res.writeHead(a.status, { "content-type": "text/html", ...a.headers }).end(a.body ?? "<html><body>error</body></html>");
        return;
      case "raw":
        res.writeHead(200, { "content-type": a.contentType }).end(a.body);
        return;
      case "hang":
        open.add(res);
        res.on("close", () => {
          if (!res.writableEnded) state.abandoned++;
          open.delete(res);
        });
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A SearXNG result object, with the fields a real one carries besides the three we read. */
export function searxngResult(title: string, url: string, content: string): Record<string, unknown> {
  return {
    title,
    url,
    content,
    engine: "duckduckgo",
    engines: ["duckduckgo"],
    parsed_url: ["https", new URL(url).host, "/", "", "", ""],
    template: "default.html",
    positions: [1],
    score: 1,
    category: "general",
  };
}
