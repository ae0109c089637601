// `make build`: bundle the pages' scripts and stylesheet into dist/ beside the compiled web room.
import { fileURLToPath } from "node:url";
import { PREBUILT_DIR, writeWebAssets } from "../src/web/index.js";

const dir = fileURLToPath(new URL(`../dist/src/web/${PREBUILT_DIR}/`, import.meta.url));
const written = await writeWebAssets(dir);
for (const { name, bytes } of written) process.stdout.write(`web bundle: ${name} ${(bytes / 1024).toFixed(1)} KiB\n`);
