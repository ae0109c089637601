import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

/*
 * The example's own little server, apart from the gateway (whose CSP allows only its own pages):
 * bundles src/main.tsx with esbuild in memory and serves it with index.html and style.css. The
 * page calls the gateway across origins, so start the gateway with CORS_ORIGINS set to this
 * server's origin. Run: `npx tsx examples/ai-sdk-chat/serve.ts` (PORT, default 5173).
 */

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export interface ExampleServer {
  url: string;
  close(): Promise<void>;
}

let bundled: Promise<string> | undefined;

/** Bundle the app for the browser (React in production mode, one ES module); once per process. */
export function bundleExample(): Promise<string> {
  bundled ??= bundle();
  return bundled;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [here("src/main.tsx")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    minify: true,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error("esbuild produced no bundle");
  return out.text;
}

/** Serve the example on `port` (0 = any free port) of 127.0.0.1. */
export async function startExampleServer(port = 0): Promise<ExampleServer> {
  const files: Record<string, { type: string; body: string }> = {
    "/": { type: "text/html; charset=utf-8", body: await readFile(here("index.html"), "utf8") },
    "/style.css": { type: "text/css; charset=utf-8", body: await readFile(here("style.css"), "utf8") },
    "/app.js": { type: "text/javascript; charset=utf-8", body: await bundleExample() },
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (req.method !== "GET" || !file) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await startExampleServer(Number(process.env.PORT ?? 5173));
  console.log(`useChat example on ${s.url}/?gateway=http://127.0.0.1:8000&model=mock-long-think`);
  console.log(`start the gateway with CORS_ORIGINS=${s.url}`);
}
