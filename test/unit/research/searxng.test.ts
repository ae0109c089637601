import { afterEach, describe, expect, it } from "vitest";
import { createSearxngBackend, SearchError } from "../../../src/research/index.js";
import { freePort } from "../../helpers/net.js";
import { searxngResult, startFakeSearxng, type FakeSearxng } from "../../helpers/searxng.js";

/*
 * The SearXNG backend against a SearXNG-shaped server on a real socket: the request it makes,
 * the answers it accepts, and every way a search can fail.
 */

const open: FakeSearxng[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function server(...args: Parameters<typeof startFakeSearxng>): Promise<FakeSearxng> {
  const s = await startFakeSearxng(...args);
  open.push(s);
  return s;
}

const signal = () => new AbortController().signal;

async function failure(p: Promise<unknown>): Promise<SearchError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SearchError);
  return e as SearchError;
}

describe("the SearXNG backend", () => {
  it("GETs {SEARCH_URL}/search?q=…&format=json and reads title, url and content", async () => {
    const s = await server({
      kind: "results",
      results: [searxngResult("Rayleigh", "https://example.org/r", "Short waves scatter."), searxngResult("Two", "https://example.org/2", "x")],
    });
    const b = createSearxngBackend({ url: s.url, fetch: globalThis.fetch });
    const r = await b.search("why is the sky blue? & more", 5, signal());
    expect(r).toEqual([
      { title: "Rayleigh", url: "https://example.org/r", snippet: "Short waves scatter." },
      { title: "Two", url: "https://example.org/2", snippet: "x" },
    ]);
    expect(s.requests).toEqual([expect.objectContaining({ method: "GET", path: "/search", query: { q: "why is the sky blue? & more", format: "json" } })]);
    expect(s.requests[0]?.headers.accept).toBe("application/json");
  });

  it("keeps a path prefix in SEARCH_URL, and sends its credentials as Basic auth, not in the URL", async () => {
    const s = await server({ kind: "results", results: [] });
    const base = new URL(s.url);
    await createSearxngBackend({ url: `http://al%40ice:s3cret@${base.host}/searxng/`, fetch: globalThis.fetch })
      .search("q", 5, signal())
      .catch(() => undefined);
    expect(s.requests[0]?.path).toBe("/searxng/search");
    expect(s.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from("al@ice:s3cret").toString("base64")}`);
  });

  it("returns at most maxResults, skipping entries without a string url", async () => {
    const s = await server({
      kind: "results",
      results: [null, "x", { title: "no url" }, { url: 5 }, ...Array.from({ length: 10 }, (_, i) => searxngResult(`T${i}`, `https://e.org/${i}`, ""))],
    });
    const r = await createSearxngBackend({ url: s.url, fetch: globalThis.fetch }).search("q", 3, signal());
    expect(r.map((x) => x.title)).toEqual(["T0", "T1", "T2"]);
  });

  it("a non-2xx answer is research_failed: 5xx and 429 retryable, 403 with SearXNG's formats hint", async () => {
    const s = await server({ kind: "status", status: 500 });
    const b = createSearxngBackend({ url: s.url, fetch: globalThis.fetch });
    expect(await failure(b.search("q", 5, signal()))).toMatchObject({ code: "research_failed", retryable: true, message: expect.stringContaining("HTTP 500") });
    s.answer = { kind: "status", status: 429 };
    expect(await failure(b.search("q", 5, signal()))).toMatchObject({ code: "research_failed", retryable: true });
    s.answer = { kind: "status", status: 403 };
    expect(await failure(b.search("q", 5, signal()))).toMatchObject({
      code: "research_failed",
      retryable: false,
      message: expect.stringContaining("search.formats"),
    });
  });

  it("never follows a redirect: a 302 elsewhere is a failed search, and elsewhere gets nothing", async () => {
    const elsewhere = await server({ kind: "results", results: [] });
    const s = await server({ kind: "status", status: 302, headers: { location: `${elsewhere.url}/search?q=x&format=json` } });
    const b = createSearxngBackend({ url: s.url, fetch: globalThis.fetch });
    expect(await failure(b.search("q", 5, signal()))).toMatchObject({ code: "research_failed", message: expect.stringContaining("HTTP 302") });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("an answer that is not JSON, or has no results list, is research_bad_response", async () => {
    const s = await server({ kind: "raw", contentType: "text/html", body: "<html>SearXNG</html>" });
    const b = createSearxngBackend({ url: s.url, fetch: globalThis.fetch });
    expect(await failure(b.search("q", 5, signal()))).toMatchObject({ code: "research_bad_response", retryable: false });
    s.answer = { kind: "raw", contentType: "application/json", body: '{"query":"q"}' };
    expect(await failure(b.search("q", 5, signal()))).toMatchObject({ code: "research_bad_response", message: expect.stringContaining("results") });
  });

  it("an answer over the size bound is research_bad_response, not memory", async () => {
    const s = await server({
      kind: "raw",
      contentType: "application/json",
      body: JSON.stringify({ results: [{ url: "https://e.org", content: "x".repeat(200_000) }] }),
    });
    const b = createSearxngBackend({ url: s.url, fetch: globalThis.fetch, maxBodyBytes: 100_000 });
    expect(await failure(b.search("q", 5, signal()))).toMatchObject({ code: "research_bad_response", message: expect.stringContaining("100000 bytes") });
  });

  it("an unreachable engine is research_failed with the error code, never the address", async () => {
    const port = await freePort();
    const e = await failure(createSearxngBackend({ url: `http://127.0.0.1:${port}`, fetch: globalThis.fetch }).search("q", 5, signal()));
    expect(e).toMatchObject({ code: "research_failed", retryable: true, message: expect.stringContaining("ECONNREFUSED") });
    expect(e.message).not.toContain(String(port));
  });

  it("an aborted search rejects with the abort reason, and the server sees the client leave", async () => {
    const s = await server({ kind: "hang" });
    const c = new AbortController();
    const search = createSearxngBackend({ url: s.url, fetch: globalThis.fetch }).search("q", 5, c.signal);
    await expect.poll(() => s.requests.length).toBe(1);
    const reason = new Error("stop");
    c.abort(reason);
    await expect(search).rejects.toBe(reason);
    await expect.poll(() => s.abandoned).toBe(1);
  });
});
