import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { startOtlpReceiver } from "../helpers/otlp.js";
import { startGatewayProcess } from "../helpers/process.js";
import { postStaged, userMessage } from "../helpers/sse.js";

/*
 * The composition root's part of tracing, in a real process: main.ts reads the OTEL_* variables,
 * the SDK its own (service name, headers), and SIGTERM flushes the last spans before the exit.
 */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

/** Every OTEL_ variable the test does not set is set empty: a developer's own environment or .env must not turn tracing on or off. */
const OTEL_UNSET = {
  OTEL_EXPORTER_OTLP_ENDPOINT: "",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
  OTEL_SDK_DISABLED: "",
  OTEL_TRACES_SAMPLER: "",
  OTEL_SERVICE_NAME: "",
  OTEL_EXPORTER_OTLP_HEADERS: "",
};

describe("tracing in the gateway process", () => {
  it("OTEL_EXPORTER_OTLP_ENDPOINT turns it on: spans reach the collector with the SDK's own variables applied, flushed on SIGTERM", async () => {
    const receiver = await startOtlpReceiver();
    cleanup.push(() => receiver.close());
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const gw = await startGatewayProcess({
      ...OTEL_UNSET,
      UPSTREAM_BASE_URL: mock.baseUrl,
      REQUEST_LOG: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "gateway-under-test",
      OTEL_EXPORTER_OTLP_HEADERS: "x-collector-token=s3cret",
    });
    cleanup.push(() => gw.kill());
    expect(gw.output()).toContain('"tracing":"otlp http/protobuf"');
    const r = await postStaged(
      gw.url,
      { model: "mock-tagged", messages: userMessage("Traced across processes?") },
      { headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` } },
    );
    expect(r.status).toBe(200);
    // The batch processor waits 5 s before sending; SIGTERM must not lose what it holds.
    gw.child.kill("SIGTERM");
    expect((await gw.exited).code).toBe(0);
    const root = receiver.spans.find((s) => s.kind === "SERVER");
    expect(root?.traceId).toBe(TRACE_ID);
    expect(root?.attributes["gateway.request_id"]).toBe(r.headers.get("x-request-id"));
    expect(root?.resource["service.name"]).toBe("gateway-under-test");
    expect(
      receiver.spans
        .filter((s) => s.traceId === TRACE_ID)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["chat mock-tagged", "chat mock-tagged", "chat mock-tagged", "chat mock-tagged", "prompt_summary", "reasoning_summary"]);
    expect(receiver.requests.map((q) => [q.contentType, q.headers["x-collector-token"]])).toContainEqual(["application/x-protobuf", "s3cret"]);
    for (const call of mock.mock.calls) expect(call.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  it("without an endpoint it is off: no exporter, no traceparent upstream", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const gw = await startGatewayProcess({ ...OTEL_UNSET, UPSTREAM_BASE_URL: mock.baseUrl, REQUEST_LOG: "false" });
    cleanup.push(() => gw.kill());
    expect(gw.output()).toContain('"tracing":"off"');
    const r = await postStaged(
      gw.url,
      { model: "mock-tagged", messages: userMessage("Not traced.") },
      { headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` } },
    );
    expect(r.status).toBe(200);
    for (const call of mock.mock.calls) expect(call.headers).not.toHaveProperty("traceparent");
    gw.child.kill("SIGTERM");
    expect((await gw.exited).code).toBe(0);
  });
});
