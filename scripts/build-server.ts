// `make build`: compile the server, the mock upstream, the CLI and the floor relay to dist/, one
// JavaScript file per TypeScript file (the same layout tsc would write), with esbuild. esbuild only
// strips the types; the type check is tsc's (`make typecheck`, and make test's first stage), so a
// build costs well under a second instead of a second full check of every file.
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

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
const entryPoints = [...sources("src"), ...sources("mock-upstream"), ...sources("client"), ...floorRelay];
await build({
  absWorkingDir: ROOT,
  entryPoints,
  outdir: "dist",
  outbase: ".",
  // Not bundled: each file keeps its own imports, as written (NodeNext paths ending in .js).
  bundle: false,
  format: "esm",
  platform: "node",
  target: "node20.19",
  // Class fields, JSX (hono/jsx) and import elision follow tsconfig.json, as tsc's would.
  tsconfig: "tsconfig.json",
  sourcemap: true,
  logLevel: "warning",
});
process.stdout.write(`server: ${entryPoints.length} files compiled to dist/\n`);
