import { readFileSync } from "node:fs";

/** The package's version (client/ under tsx, dist/client/ once built), for `--version`. */
export function clientVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    try {
      const v: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));
      if (typeof v === "object" && v !== null && "version" in v && typeof v.version === "string") return v.version;
    } catch {
      // not there: try the next place
    }
  }
  return "unknown";
}
