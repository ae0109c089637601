#!/usr/bin/env node
// The gateway server: reads `.env` from the working directory, listens on HOST:PORT.
import { launch } from "./launch.mjs";

await launch("src/main.ts", "dist/src/main.js");
