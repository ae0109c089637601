/**
 * A real OTLP/HTTP trace receiver for tests: `POST /v1/traces` in protobuf (decoded with
 * protobufjs against the OTLP schema's own field numbers) or JSON, flattened into spans.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import protobuf from "protobufjs";
import { pollUntil } from "./process.js";

/** The parts of opentelemetry-proto's trace, resource and common messages the receiver reads. */
const OTLP_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  Status status = 15;
  fixed32 flags = 16;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
`;

const REQUEST = protobuf.parse(OTLP_PROTO, { keepCase: false }).root.lookupType("otlp.ExportTraceServiceRequest");

const KINDS = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"] as const;
const STATUSES = ["UNSET", "OK", "ERROR"] as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: (typeof KINDS)[number];
  attributes: Record<string, unknown>;
  status: { code: (typeof STATUSES)[number]; message: string };
  resource: Record<string, unknown>;
  scope: string;
  /** Nanoseconds since the epoch, as a bigint (it needs 64 bits). */
  start: bigint;
  end: bigint;
}

export interface ExportRequest {
  contentType: string;
  headers: IncomingHttpHeaders;
}

export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  url: string;
  spans: ReceivedSpan[];
  requests: ExportRequest[];
  /** Poll until `predicate` holds for the spans received, calling `flush` before each look. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, flush?: () => Promise<void>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Start a receiver on 127.0.0.1, port 0. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ExportRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const contentType = String(req.headers["content-type"] ?? "");
      requests.push({ contentType, headers: req.headers });
      const body = Buffer.concat(chunks);
      try {
        spans.push(...(contentType.startsWith("application/json") ? fromJson(JSON.parse(body.toString("utf8"))) : fromProtobuf(body)));
      } catch (e) {
        res.writeHead(400, { "content-type": "text/plain" }).end(String(e));
        return;
      }
      // An empty ExportTraceServiceResponse: full success.
      if (contentType.startsWith("application/json")) res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitFor(predicate, flush, timeoutMs = 15_000) {
      await pollUntil(
        "the spans expected at the OTLP receiver",
        async () => {
          await flush?.();
          return predicate(spans);
        },
        timeoutMs,
        () => spans.map((s) => `${s.name} ${s.kind} ${s.spanId} parent=${s.parentSpanId}`).join("\n"),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const msg = REQUEST.toObject(REQUEST.decode(body), { longs: String, bytes: Buffer, defaults: false, oneofs: true }) as any;
  const out: ReceivedSpan[] = [];
  for (const rs of msg.resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes ?? [], protoValue);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: KINDS[(s.kind as number | undefined) ?? 0] ?? "UNSPECIFIED",
          attributes: attributesOf(s.attributes ?? [], protoValue),
          status: { code: STATUSES[s.status?.code ?? 0] ?? "UNSET", message: s.status?.message ?? "" },
          resource,
          scope: ss.scope?.name ?? "",
          start: BigInt(s.startTimeUnixNano ?? 0),
          end: BigInt(s.endTimeUnixNano ?? 0),
        });
      }
    }
  }
  return out;
}

function fromJson(msg: any): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of msg.resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes ?? [], jsonValue);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          name: s.name,
          kind: KINDS[s.kind as number] ?? "UNSPECIFIED",
          attributes: attributesOf(s.attributes ?? [], jsonValue),
          status: { code: STATUSES[s.status?.code ?? 0] ?? "UNSET", message: s.status?.message ?? "" },
          resource,
          scope: ss.scope?.name ?? "",
          start: BigInt(s.startTimeUnixNano),
          end: BigInt(s.endTimeUnixNano),
        });
      }
    }
  }
  return out;
}

function attributesOf(kvs: any[], value: (v: any) => unknown): Record<string, unknown> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, value(kv.value)]));
}

function protoValue(v: any): unknown {
  // oneofs: true names the case that was set, so "", 0 and false survive as themselves.
  switch (v?.value) {
    case "stringValue":
      return v.stringValue;
    case "boolValue":
      return v.boolValue;
    case "intValue":
      return Number(v.intValue);
    case "doubleValue":
      return v.doubleValue;
    case "arrayValue":
      return (v.arrayValue.values ?? []).map(protoValue);
    default:
      return undefined;
  }
}

function jsonValue(v: any): unknown {
  if (!v) return undefined;
  if ("stringValue" in v) return v.stringValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue;
  if ("boolValue" in v) return v.boolValue;
  if ("arrayValue" in v) return (v.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

function hex(b: Buffer | undefined): string {
  return b ? Buffer.from(b).toString("hex") : "";
}
