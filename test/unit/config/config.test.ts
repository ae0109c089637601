import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, envSchema, loadConfig } from "../../../src/config/index.js";

describe("loadConfig", () => {
  it("has the SPEC's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8000,
      upstream: { baseUrl: "http://localhost:8001", path: "/chat/completions", apiKey: undefined },
      summaryModelDefault: undefined,
      allowModels: undefined,
      requestTimeoutMs: 60_000,
      summaryTimeoutMs: 10_000,
      maxReasoningChars: 8000,
      maxRetries: 3,
      retryBackoffMs: 1000,
      parseReasoningFields: true,
      keepaliveMs: 15_000,
      maxBodyBytes: 10_485_760,
      logLevel: "info",
    });
  });

  it("bounds an upstream line at UPSTREAM_MAX_LINE_BYTES (1 MiB by default), refusing silly values", () => {
    expect(loadConfig({}).upstreamMaxLineBytes).toBe(1_048_576);
    expect(loadConfig({ UPSTREAM_MAX_LINE_BYTES: "65536" }).upstreamMaxLineBytes).toBe(65_536);
    expect(() => loadConfig({ UPSTREAM_MAX_LINE_BYTES: "10" })).toThrow('UPSTREAM_MAX_LINE_BYTES: must be a whole number >= 1024 (got "10")');
  });

  it("treats empty strings as unset", () => {
    const c = loadConfig({ PORT: "", UPSTREAM_API_KEY: "", ALLOW_MODELS: " ", REQUEST_TIMEOUT: "" });
    expect(c.port).toBe(8000);
    expect(c.upstream.apiKey).toBeUndefined();
    expect(c.allowModels).toBeUndefined();
    expect(c.requestTimeoutMs).toBe(60_000);
  });

  it("parses lists, booleans, capabilities and trims the base URL", () => {
    const c = loadConfig({
      ALLOW_MODELS: "a, b,,c",
      ENABLE_PARSE_REASONING: "false",
      MODEL_CAPABILITIES: "deepseek-r1*=think, gpt-oss=fields",
      UPSTREAM_BASE_URL: "https://api.example.com/v1/",
    });
    expect(c.allowModels).toEqual(["a", "b", "c"]);
    expect(c.parseReasoningFields).toBe(false);
    expect(c.capabilities).toEqual([
      { pattern: "deepseek-r1*", mode: "think" },
      { pattern: "gpt-oss", mode: "fields" },
    ]);
    expect(c.upstream.baseUrl).toBe("https://api.example.com/v1");
  });

  it("reports every bad variable at once, without echoing secrets", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "eighty", REQUEST_TIMEOUT: "-1", UPSTREAM_BASE_URL: "ftp://x", LOG_LEVEL: "loud", UPSTREAM_PATH: "chat" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of ["PORT", "REQUEST_TIMEOUT", "UPSTREAM_BASE_URL", "LOG_LEVEL", "UPSTREAM_PATH"]) expect(problems).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(5);
  });
});

describe(".env.example", () => {
  const example = parseEnv(readFileSync(new URL("../../../.env.example", import.meta.url), "utf8"));
  const clientVars = ["GATEWAY_API_KEY", "FRIENDLI_ENDPOINT_ID", "FRIENDLI_TOKEN", "FRIENDLI_TEAM", "FRIENDLI_API_BASE"];

  it("documents every variable the schema reads", () => {
    for (const key of Object.keys(envSchema.shape)) expect(example, key).toHaveProperty(key);
  });

  it("documents nothing the gateway or client does not read, and its values load", () => {
    for (const key of Object.keys(example)) expect([...Object.keys(envSchema.shape), ...clientVars]).toContain(key);
    expect(() => loadConfig(example)).not.toThrow();
  });
});
