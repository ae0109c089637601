import { ExitCode, type ExitCodeValue } from "./exit.js";
import { FriendliError, classifyStatus, getEndpointState, type EndpointState, type FriendliConfig } from "./friendli.js";
import { envValue, type ClientIO, type ResolvedIO } from "./io.js";
import { DEFAULT_FRIENDLI_API_BASE } from "./options.js";
import type { Output } from "./output.js";
import { formatMs } from "./render.js";
import { ensureAwake } from "./wake.js";

/** The management API settings from the environment (token: `FRIENDLI_TOKEN`, else `UPSTREAM_API_KEY`). */
export function friendliConfig(env: ClientIO["env"], endpointId: string): FriendliConfig {
  return {
    base: envValue(env, "FRIENDLI_API_BASE") ?? DEFAULT_FRIENDLI_API_BASE,
    endpointId,
    token: envValue(env, "FRIENDLI_TOKEN") ?? envValue(env, "UPSTREAM_API_KEY"),
    team: envValue(env, "FRIENDLI_TEAM"),
  };
}

function phaseText(phase: string | null): string {
  return phase ?? "none";
}

function reportFailure(output: Output, err: unknown, endpointId: string): ExitCodeValue {
  if (err instanceof FriendliError) {
    if (err.kind === "aborted") {
      output.fail("interrupted: nothing was sent", { kind: "interrupted", endpoint_id: endpointId });
      return ExitCode.interrupted;
    }
    output.fail(err.message, {
      kind: `wake.${err.kind}`,
      endpoint_id: endpointId,
      status: err.state?.status ?? null,
      phase: err.state?.phase ?? null,
    });
    return ExitCode.failure;
  }
  output.fail(`waking endpoint ${endpointId} failed: ${err instanceof Error ? err.message : String(err)}`);
  return ExitCode.failure;
}

/**
 * `--wake`: bring the endpoint up, reporting each status/phase change. Returns undefined when it
 * is ready (send the request), else the exit code to stop with — the chat request is never sent.
 */
export async function wakeEndpoint(
  io: ResolvedIO,
  output: Output,
  cfg: FriendliConfig,
  opts: { timeoutMs: number; intervalMs: number },
): Promise<ExitCodeValue | undefined> {
  const tag = output.errStyle.dim("[wake]");
  const note = (text: string): void => output.err(`${tag} ${text}\n`);
  const waiting = (): void => output.spinner.start(`waiting for endpoint ${cfg.endpointId}…`);
  const startedAt = io.now();
  try {
    const state = await ensureAwake(cfg, { fetch: io.fetch, sleep: io.sleep, now: io.now, signal: io.signal }, {
      ...opts,
      onStatus(s: EndpointState, elapsedMs) {
        if (output.json) {
          output.jsonLine("wake.status", { endpoint_id: s.id, status: s.status, phase: s.phase, elapsed_ms: elapsedMs });
        } else {
          note(`${s.id}: ${s.status}${s.phase ? ` · phase ${s.phase}` : ""} (+${formatMs(elapsedMs)})`);
          if (classifyStatus(s.status) !== "ready") waiting();
        }
      },
      onWake(elapsedMs) {
        if (output.json) output.jsonLine("wake.requested", { endpoint_id: cfg.endpointId, elapsed_ms: elapsedMs });
        else note(`the endpoint was asleep: wake-up requested`);
        waiting();
      },
      onRetry(err, elapsedMs) {
        if (output.json) output.jsonLine("wake.retry", { endpoint_id: cfg.endpointId, message: err.message, elapsed_ms: elapsedMs });
        else note(output.errStyle.yellow(`status check failed, retrying: ${err.message}`));
        waiting();
      },
    });
    output.spinner.stop();
    if (!output.json) note(`${state.id} is ready (${state.status}) after ${formatMs(io.now() - startedAt)}`);
    return undefined;
  } catch (err) {
    output.spinner.stop();
    return reportFailure(output, err, cfg.endpointId);
  }
}

/** `check-dedicated`: one status call, printed; 0 when the endpoint is ready, else 1. */
export async function checkDedicated(io: ResolvedIO, output: Output, cfg: FriendliConfig): Promise<ExitCodeValue> {
  let state: EndpointState;
  try {
    state = await getEndpointState(cfg, { fetch: io.fetch, sleep: io.sleep, now: io.now, signal: io.signal });
  } catch (err) {
    return reportFailure(output, err, cfg.endpointId);
  }
  const ready = classifyStatus(state.status) === "ready";
  if (output.json) {
    output.jsonLine("dedicated.status", { endpoint_id: cfg.endpointId, status: state.status, phase: state.phase, ready });
  } else {
    const s = output.outStyle;
    const status = ready ? s.green(state.status) : s.yellow(state.status);
    output.out(`endpoint: ${cfg.endpointId}\nstatus:   ${status}\nphase:    ${phaseText(state.phase)}\n`);
    if (!ready) {
      const hint =
        classifyStatus(state.status) === "failed"
          ? "it will not come up by itself: restart it or redeploy it in Friendli Suite"
          : "not ready yet: run the client with --wake to wake it and wait";
      output.err(`${output.errStyle.yellow(hint)}\n`);
    }
  }
  return ready ? ExitCode.ok : ExitCode.failure;
}
