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

  it("reads MODEL_CAPABILITIES globs and names a malformed entry", () => {
    expect(loadConfig({ MODEL_CAPABILITIES: "*DeepSeek-R1*=think,*gpt-oss*=fields" }).capabilities).toEqual([
      { pattern: "*DeepSeek-R1*", mode: "think" },
      { pattern: "*gpt-oss*", mode: "fields" },
    ]);
    for (const bad of ["a=think=tags", "deepseek-r1", "=think", "x=reasoning"]) {
      expect(() => loadConfig({ MODEL_CAPABILITIES: bad }), bad).toThrow(`MODEL_CAPABILITIES: "${bad}" is not PATTERN=auto|tags|think|fields`);
    }
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

describe("research mode settings", () => {
  it("are off by default, with a 5 s search and 5 results", () => {
    expect(loadConfig({}).research).toEqual({ url: undefined, timeoutMs: 5000, maxResults: 5 });
  });

  it("read SEARCH_URL (trailing slashes dropped), SEARCH_TIMEOUT in seconds and SEARCH_MAX_RESULTS", () => {
    expect(loadConfig({ SEARCH_URL: "http://127.0.0.1:8888/searxng/", SEARCH_TIMEOUT: "0.5", SEARCH_MAX_RESULTS: "20" }).research).toEqual({
      url: "http://127.0.0.1:8888/searxng",
      timeoutMs: 500,
      maxResults: 20,
    });
  });

  it("name the range of every bad value", () => {
    let error: unknown;
    try {
      loadConfig({ SEARCH_URL: "ftp://search.example", SEARCH_TIMEOUT: "-5", SEARCH_MAX_RESULTS: "21" });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'SEARCH_URL: must be an http(s) URL (got "ftp://search.example")',
      'SEARCH_TIMEOUT: must be a number > 0 (got "-5")',
      'SEARCH_MAX_RESULTS: must be a whole number from 1 to 20 (got "21")',
    ]);
    expect(() => loadConfig({ SEARCH_MAX_RESULTS: "0" })).toThrow("SEARCH_MAX_RESULTS: must be a whole number from 1 to 20");
    expect(() => loadConfig({ SEARCH_MAX_RESULTS: "2.5" })).toThrow("SEARCH_MAX_RESULTS: must be a whole number from 1 to 20");
  });
});
