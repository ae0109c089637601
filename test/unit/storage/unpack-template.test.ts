import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createTar } from "nanotar";
import { afterEach, describe, expect, it } from "vitest";
import { unpackTemplate } from "../../../src/storage/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), "sgw-unpack-"));
  dirs.push(d);
  return d;
};
const tgz = (items: Parameters<typeof createTar>[0]): Uint8Array => gzipSync(createTar(items));

describe("unpackTemplate", () => {
  it("writes the template's directories and files byte for byte, with their modes, and leaves postmaster.pid out", () => {
    const root = scratch();
    const to = join(root, "data");
    const wal = new Uint8Array(70_000).map((_, i) => i % 251);
    unpackTemplate(
      tgz([
        { name: "/global/", attrs: { mode: "750" } },
        { name: "/global/pg_control", data: new Uint8Array([1, 2, 3]), attrs: { mode: "600" } },
        { name: "/PG_VERSION", data: "17\n", attrs: { mode: "640" } },
        { name: "/pg_wal/000000010000000000000001", data: wal },
        { name: "/postmaster.pid", data: "42\n" },
      ]),
      to,
    );
    expect(readdirSync(to).sort()).toEqual(["PG_VERSION", "global", "pg_wal"]);
    expect(readFileSync(join(to, "PG_VERSION"), "utf8")).toBe("17\n");
    expect([...readFileSync(join(to, "global/pg_control"))]).toEqual([1, 2, 3]);
    expect(Buffer.compare(readFileSync(join(to, "pg_wal/000000010000000000000001")), Buffer.from(wal))).toBe(0);
    expect(statSync(join(to, "global")).mode & 0o777).toBe(0o750);
    expect(statSync(join(to, "global/pg_control")).mode & 0o777).toBe(0o600);
  });

  it("keeps an entry that names ../ inside the directory: nothing is written outside it", () => {
    const root = scratch();
    unpackTemplate(
      tgz([
        { name: "/../escaped", data: "x" },
        { name: "base/../../up", data: "y" },
      ]),
      join(root, "data"),
    );
    expect(readdirSync(root)).toEqual(["data"]);
    expect(readdirSync(join(root, "data")).sort()).toEqual(["escaped", "up"]);
  });

  it("refuses links and other entry types", () => {
    const tar = createTar([{ name: "link", data: "x" }]);
    tar[156] = "2".charCodeAt(0); // typeflag: symbolic link
    // The header checksum covers the typeflag: recompute it as tar does.
    tar.fill(32, 148, 156);
    const sum = tar.subarray(0, 512).reduce((a, b) => a + b, 0);
    tar.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
    expect(() => unpackTemplate(gzipSync(tar), join(scratch(), "data"))).toThrow(/type symbolicLink/);
  });

  it("notices a damaged template by gzip's checksum", () => {
    const good = tgz([{ name: "/PG_VERSION", data: "17\n" }]);
    const bad = Uint8Array.from(good);
    bad[bad.length - 5]! ^= 0xff; // inside the CRC-32 trailer
    expect(() => unpackTemplate(bad, join(scratch(), "data"))).toThrow();
  });
});
