// `make build`: compile the server, the mock upstream, the CLI and the floor relay to dist/, one
// JavaScript file per TypeScript file (the same layout tsc would write), with esbuild. esbuild only
// strips the types; the type check is tsc's (`make typecheck`, and make test's first stage), so a
// build costs well under a second instead of a second full check of every file.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// The pages' browser code is not compiled here: build-web.ts bundles it (src/web/build.ts).
const BROWSER_CODE = "src/web/client";

/** Every .ts and .tsx file under `dir` (relative to the root), but the browser code and declarations. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && /\.tsx?$/.test(f.name) && !f.name.endsWith(".d.ts"))
    .map((f) => relative(ROOT, join(f.parentPath, f.name)))
    .filter((f) => !f.startsWith(`${BROWSER_CODE}/`));
}

// The bench's floor relay is compiled where the bench is (a checkout), not in the image.
const floorRelay = existsSync(join(ROOT, "bench/floor-relay.ts")) ? ["bench/floor-relay.ts"] : [];
// The gateway's entry itself is bundled below, not compiled on its own.
const ENTRY = "src/main.ts";
const entryPoints = [...sources("src").filter((f) => f !== ENTRY), ...sources("mock-upstream"), ...sources("client"), ...floorRelay];
// Class fields, JSX (hono/jsx) and import elision follow tsconfig.json, as tsc's would.
const common = {
  absWorkingDir: ROOT,
  format: "esm",
  platform: "node",
  target: "node20.19",
  tsconfig: "tsconfig.json",
  sourcemap: true,
  logLevel: "warning",
} as const;
// Not bundled: each file keeps its own imports, as written (NodeNext paths ending in .js).
await build({ ...common, entryPoints, outdir: "dist", outbase: ".", bundle: false });

/**
 * The packages the gateway's start imports, bundled into dist/src/main.js with our own code:
 * resolving and reading their module files one by one was most of a start. The rest stay imports
 * of node_modules: those loaded later or only when configured (the database drivers, ioredis, the
 * schema checker, YAML, OpenTelemetry); pino, whose transports are resolved by file in a thread of
 * their own; and undici, which bundled held 0.9 KB more heap per open stream (the heap accounting:
 * 24.1 against 23.2 KB) for 50 ms of start-up.
 */
const BUNDLED = ["hono", "@hono/node-server", "zod", "prom-client", "commander", "chalk", "p-retry", "p-timeout", "eventsource-parser", "nanotar"];
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.includes(name));

/**
 * A module of ours that finds files beside itself (`new URL("./x.js", import.meta.url)`: the
 * worker scripts, the pages' bundles, the request log's template) is given its own compiled
 * file's URL in the bundle, where import.meta.url would be the bundle's.
 */
const ownUrl: Plugin = {
  name: "own-module-url",
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      const rel = relative(ROOT, args.path);
      if (rel.startsWith("..") || rel.startsWith("node_modules")) return undefined;
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const compiled = `./${relative("src", rel).replace(/\.tsx?$/, ".js")}`;
      return {
        contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(compiled)}, import.meta.url).href`),
        loader: rel.endsWith(".tsx") ? "tsx" : "ts",
      };
    });
  },
};

// The gateway's entry, bundled over the file compiled above. Chunks (what our code imports on
// demand: the tracing SDK's builder, the pages' in-memory build) sit beside it, so the URLs above
// hold for them too; the previous build's chunks are removed first.
const CHUNK = /^[\w-]+-[A-Z0-9]{8}\.js(\.map)?$/;
for (const f of readdirSync(join(ROOT, "dist/src"))) if (CHUNK.test(f)) rmSync(join(ROOT, "dist/src", f));
await build({
  ...common,
  entryPoints: { main: ENTRY },
  outdir: "dist/src",
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  external,
  plugins: [ownUrl],
  // The bundled CommonJS packages (prom-client, commander) call require() for Node's own modules.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
});
process.stdout.write(`server: ${entryPoints.length + 1} files compiled to dist/ and the gateway's entry bundled with ${BUNDLED.length} packages\n`);
