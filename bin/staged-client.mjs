#!/usr/bin/env node
// The CLI client: `staged-client "Why is the sky blue?"`.
import { launch } from "./launch.mjs";

await launch("client/bin.ts", "dist/client/bin.js");
