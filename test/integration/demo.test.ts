/**
 * `make demo`'s script as a newcomer runs it: three sections then `[done]`, a prompt summary that
 * restates the question instead of repeating it, the pages' lifetime said out loud — and with
 * KEEP=1 the gateway stays up (pages included) until Ctrl-C. (With keys in `.env`: demo-access.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { HEADINGS } from "../../client/render.js";
import { PROCESS_TEST_MS, READY_MS } from "../helpers/bounds.js";
import { useDemo } from "../helpers/demo.js";

const demo = useDemo();

describe("make demo", { timeout: PROCESS_TEST_MS }, () => {
  it("prints the three sections then [done], a real prompt summary, and says the pages stop with it", async () => {
    const { p } = await demo();
    const { code } = await p.exited;
    expect(code, p.output()).toBe(0);
    const out = p.out();
    const order = [HEADINGS.prompt, HEADINGS.reasoning, HEADINGS.output, "[done]"].map((h) => out.indexOf(h));
    expect(
      order.every((i) => i >= 0),
      out,
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out).toContain(`${HEADINGS.prompt}\nAsks why the sky is blue — touching on violet, shorter and wavelength; one short paragraph wanted.\n`);
    // Live progress lines while the mock's long reasoner thinks, then the final bullets.
    // Progress notes arrive as "**Heading**: sentence"; a piped terminal shows the heading without the marks.
    expect(out).toMatch(new RegExp(`${HEADINGS.reasoning.replace(/[()]/g, "\\$&")}\\n(… [^*\\n]+: .+\\n)+- .+\\n- .+`));
    expect(out).not.toContain("**");
    expect(out).toContain("they stop when the demo ends; make demo KEEP=1 keeps them up until Ctrl-C");
    expect(out).toMatch(/request log: 1 request\(s\) so far/);
  });

  it("KEEP=1 keeps the gateway and the pages up until Ctrl-C, then stops everything", async () => {
    const { p, port } = await demo({ KEEP: "1" });
    await p.waitForOutput("press Ctrl-C to stop", READY_MS);
    expect(p.out()).toContain("[done]");
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    process.kill(-p.child.pid!, "SIGINT");
    // Ctrl-C is how a KEEP=1 demo ends: a clean exit, not a failure.
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(p.out()).toContain("stopped.");
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
