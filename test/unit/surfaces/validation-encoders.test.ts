import { describe, expect, it } from "vitest";
import { sseText } from "../../helpers/encoders.js";
import type { StagedEvent, ValidationReport } from "../../../src/events/index.js";
import { openAIChatEncoder, responsesEncoder, stagedEncoder } from "../../../src/surfaces/index.js";

/* Where each encoder puts the validation report, and the staged failure's stage. */

const id = "req1";
const report: ValidationReport = { valid: false, attempts: 3, escalated: true, errors: ["/days: must be integer"] };
const timings = { prompt_summary: 1, reasoning_end: 2, reasoning_summary: 3, first_output: 4, total: 5 };
const events = (validation?: ValidationReport): StagedEvent[] => [
  { event: "summary.prompt", data: { request_id: id, text: "Asks.", source: "model" } },
  { event: "summary.reasoning", data: { request_id: id, text: "- thought", source: "model" } },
  { event: "output.delta", data: { request_id: id, text: '{"days":"x"}' } },
  { event: "output.done", data: { request_id: id, finish_reason: "stop", timings, ...(validation && { validation }) } },
];
const frames = (sse: string) =>
  sse
    .split("\n")
    .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

describe("the validation report on each surface", () => {
  it("OpenAI chunks: on the chunk with finish_reason only, and not at all without a report", () => {
    const enc = openAIChatEncoder({ requestId: id, model: "m", createdSeconds: 1, includeUsage: true });
    const out = frames(
      events(report)
        .map((e) => sseText((o) => enc.event(e, o)))
        .join(""),
    );
    expect(out.filter((f) => "validation" in f)).toEqual([
      expect.objectContaining({ validation: report, choices: [expect.objectContaining({ finish_reason: "stop" })] }),
    ]);
    const plain = openAIChatEncoder({ requestId: id, model: "m", createdSeconds: 1, includeUsage: false });
    expect(
      JSON.stringify(
        frames(
          events()
            .map((e) => sseText((o) => plain.event(e, o)))
            .join(""),
        ),
      ),
    ).not.toContain("validation");
  });

  it("Responses: on response.completed's response object", () => {
    const enc = responsesEncoder({ requestId: id, model: "m", createdSeconds: 1, body: { model: "m", input: "x" } });
    const out = frames(
      events(report)
        .map((e) => sseText((o) => enc.event(e, o)))
        .join(""),
    );
    const completed = out.find((f) => f.type === "response.completed") as { response: Record<string, unknown> };
    expect(completed.response.validation).toEqual(report);
    expect(out.filter((f) => JSON.stringify(f).includes('"validation"'))).toHaveLength(1);
  });

  it("staged: a failure carries its stage (validation), and defaults to upstream", () => {
    const enc = stagedEncoder(id);
    const fail = (stage?: "validation") =>
      sseText((o) =>
        enc.failure({ status: 422, type: "invalid_request_error", code: "validation_failed", message: "no", retryable: true, ...(stage && { stage }) }, o),
      );
    expect(fail("validation")).toBe(
      `event: error\ndata: {"request_id":"req1","stage":"validation","message":"no","code":"validation_failed","retryable":true}\n\n`,
    );
    expect(fail()).toContain('"stage":"upstream"');
  });
});
