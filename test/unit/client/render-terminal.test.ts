/**
 * The terminal view's details: the spinner counts each wait from when it began (the model's
 * reasoning from the request, not from the last progress line), and summaries' Markdown shows as
 * styles, never as raw `**`.
 */
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { inlineMarkdown } from "../../../client/inline-markdown.js";
import type { Output } from "../../../client/output.js";
import { createHumanRenderer } from "../../../client/render.js";
import { createSpinner, type Spinner } from "../../../client/spinner.js";
import type { StagedEvent } from "../../../src/events/index.js";
import { REQUEST_ID } from "./fake-gateway.js";
import { run } from "./helpers.js";
import { startFakeGateway } from "./fake-gateway.js";

const id = REQUEST_ID;
const plain = new Chalk({ level: 0 });
const bold = new Chalk({ level: 1 });

/** An Output whose spinner records each `start(label, since)`, and a clock the test moves. */
function recorder() {
  let t = 10_000;
  const starts: [string, number | undefined][] = [];
  let text = "";
  const spinner: Spinner = { start: (label, since) => void starts.push([label, since]), stop() {} };
  const output: Output = {
    json: false,
    outStyle: plain,
    errStyle: plain,
    spinner,
    out: (s) => void (text += s),
    err: (s) => void (text += s),
    jsonLine() {},
    fail() {},
  };
  return { output, starts, text: () => text, now: () => t, advance: (ms: number) => void (t += ms) };
}

const prompt: StagedEvent = { event: "summary.prompt", data: { request_id: id, text: "Why the sky is blue.", source: "model" } };
const progress = (index: number, text: string): StagedEvent => ({ event: "summary.progress", data: { request_id: id, index, text, source: "model" } });
const reasoning: StagedEvent = { event: "summary.reasoning", data: { request_id: id, text: "- **Rayleigh** scattering", source: "model" } };

describe("client: the spinner's timer", () => {
  it("counts the reasoning from the request, across progress lines; the answer wait from the summary", () => {
    const r = recorder();
    const startedAt = r.now();
    const renderer = createHumanRenderer(r.output, { now: r.now, startedAt });
    renderer.start();
    r.advance(800);
    renderer.event(prompt, prompt.data);
    r.advance(4_000);
    renderer.event(progress(0, "**Scattering**: comparing wavelengths."), {});
    r.advance(4_000);
    renderer.event(progress(1, "**Eyes**: weighing sensitivity."), {});
    r.advance(3_000);
    renderer.event(reasoning, reasoning.data);
    expect(r.starts).toEqual([
      ["waiting for the prompt summary…", startedAt],
      ["the model is reasoning…", startedAt],
      ["the model is reasoning…", startedAt],
      ["the model is reasoning…", startedAt],
      ["waiting for the answer…", startedAt + 11_800],
    ]);
  });

  it("starts the reasoning count again after an upstream retry, and keeps it across a summary error", () => {
    const r = recorder();
    const renderer = createHumanRenderer(r.output, { now: r.now, startedAt: r.now() });
    renderer.start();
    r.advance(2_000);
    const retry: StagedEvent = {
      event: "upstream.retry",
      data: { request_id: id, provider: "p", attempt: 1, max_retries: 3, delay_ms: 500, code: "upstream_timeout", message: "" },
    };
    renderer.event(retry, retry.data);
    const retriedAt = r.now();
    r.advance(1_000);
    renderer.event(prompt, prompt.data);
    r.advance(1_000);
    const err: StagedEvent = { event: "error", data: { request_id: id, stage: "reasoning_summary", message: "slow", code: "timeout", retryable: true } };
    renderer.event(err, err.data);
    expect(r.starts.slice(1)).toEqual([
      ["upstream timed out, retry 1/3 in 0.5 s…", retriedAt],
      ["the model is reasoning…", retriedAt],
      ["the model is reasoning…", retriedAt],
    ]);
  });

  it("draws the seconds since the given start, even after it was stopped in between", () => {
    let t = 0;
    let drawn = "";
    const spinner = createSpinner({ write: (s) => void (drawn = s) }, () => t);
    spinner.start("the model is reasoning…", 0);
    t = 4_200;
    spinner.stop();
    spinner.start("the model is reasoning…", 0);
    expect(drawn).toMatch(/ the model is reasoning… 4\.2s$/);
    spinner.stop();
    // Without a start of its own, a new wait counts from now.
    spinner.start("waiting for the answer…");
    expect(drawn).toMatch(/ waiting for the answer… 0\.0s$/);
    spinner.stop();
  });
});

describe("client: Markdown in summaries", () => {
  it("a progress heading is bold on a terminal and plain without colours: never raw **", () => {
    expect(inlineMarkdown("**Comparing Wavelengths**: blue scatters most.", plain)).toBe("Comparing Wavelengths: blue scatters most.");
    expect(inlineMarkdown("**Comparing Wavelengths**: blue scatters most.", bold)).toBe("\u001b[1mComparing Wavelengths\u001b[22m: blue scatters most.");
    expect(inlineMarkdown("uses `x ** 2`, *not* x\\*2; see [docs](https://e.org)", plain)).toBe("uses x ** 2, not x*2; see docs (https://e.org)");
    // Lone stars and list markers are text, as a Markdown reader shows them.
    expect(inlineMarkdown("- 2 * 3 * 4 = 24\n- **unclosed", plain)).toBe("- 2 * 3 * 4 = 24\n- **unclosed");
  });

  it("renders progress lines and both summaries through a real run", async () => {
    const gw = await startFakeGateway({
      sse: [
        { event: "summary.prompt", data: { request_id: id, text: "Asks about **sky** colour.", source: "model" } },
        { event: "summary.progress", data: { request_id: id, index: 0, text: "**Scattering Light**: comparing wavelengths.", source: "model" } },
        { event: "summary.reasoning", data: { request_id: id, text: "- **Rayleigh** scattering", source: "model" } },
        { event: "output.delta", data: { request_id: id, text: "Because **blue** scatters." } },
        {
          event: "output.done",
          data: { request_id: id, finish_reason: "stop", timings: { prompt_summary: 1, reasoning_end: 2, reasoning_summary: 3, first_output: 4, total: 5 } },
        },
      ],
    });
    try {
      const r = await run(["--url", gw.base, "--model", "m"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain("Asks about sky colour.\n");
      expect(r.out).toContain("… Scattering Light: comparing wavelengths.\n- Rayleigh scattering\n");
      // The answer is the model's text byte for byte: what a script redirecting stdout gets.
      expect(r.out).toContain("Because **blue** scatters.\n[done]");
      const coloured = await run(["--url", gw.base, "--model", "m"], { env: { FORCE_COLOR: "1" } });
      expect(coloured.out).toContain("\u001b[1mScattering Light\u001b[22m");
      expect(coloured.out).not.toContain("**Scattering");
    } finally {
      await gw.close();
    }
  });
});
