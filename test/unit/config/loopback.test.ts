import { describe, expect, it } from "vitest";
import { checkLoopback, isLoopbackAddress, type Lookup } from "../../../src/config/index.js";

const table =
  (names: Record<string, string[]>): Lookup =>
  async (host) => {
    const found = names[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

describe("loopback check", () => {
  it("knows loopback addresses in every spelling, and nothing else", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::FFFF:7f00:1"])
      expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ["0.0.0.0", "::", "10.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "fe80::1", "localhost", "127.0.0.1.invalid"])
      expect(isLoopbackAddress(a), a).toBe(false);
  });

  it("resolves a name and requires every address to be loopback", async () => {
    const lookup = table({ localhost: ["127.0.0.1", "::1"], "mixed.test": ["127.0.0.1", "192.0.2.7"], "127.0.0.1.nip.test": ["127.0.0.1"] });
    expect(await checkLoopback("localhost", lookup)).toEqual({ loopback: true, addresses: ["127.0.0.1", "::1"] });
    expect(await checkLoopback("127.0.0.1.nip.test", lookup)).toMatchObject({ loopback: true });
    expect(await checkLoopback("mixed.test", lookup)).toEqual({ loopback: false, reason: "HOST=mixed.test resolves to 192.0.2.7, which is not loopback" });
  });

  it("refuses a name that does not resolve, however it is spelt, and never resolves a literal", async () => {
    const lookup = table({});
    expect(await checkLoopback("127.0.0.1.invalid", lookup)).toEqual({ loopback: false, reason: "cannot resolve HOST=127.0.0.1.invalid (ENOTFOUND)" });
    expect(await checkLoopback("127.0.0.1", lookup)).toMatchObject({ loopback: true });
    expect(await checkLoopback("0.0.0.0", lookup)).toEqual({ loopback: false, reason: "0.0.0.0 is not a loopback address" });
  });
});
