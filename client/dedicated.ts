import { ExitCode, type ExitCodeValue } from "./exit.js";
import {
  FriendliError,
  classifyStatus,
  describeErrorCode,
  getEndpointState,
  isRestartable,
  statusText,
  type EndpointState,
  type FriendliConfig,
} from "./friendli.js";
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
      error_code: err.state?.errorCode ?? null,
    });
    return ExitCode.failure;
  }
  output.fail(`waking endpoint ${endpointId} failed: ${err instanceof Error ? err.message : String(err)}`);
  return ExitCode.failure;
}

/** How `--restart` was asked for: not at all, with a question first, or already agreed (`--yes`). */
export type RestartPolicy = "never" | "ask" | "yes";

/**
 * Ask before restarting: a restart re-deploys the endpoint (billed GPU time), so it needs a yes
 * from a person, or `--yes` from a script. Without a terminal to ask on, the answer is no.
 */
async function restartAllowed(io: ResolvedIO, output: Output, policy: RestartPolicy, endpointId: string, state: EndpointState): Promise<boolean> {
  if (policy === "yes") return true;
  if (io.confirm === undefined) {
    output.fail(`dedicated endpoint ${endpointId} is ${statusText(state)}: pass --yes with --restart to restart it without a question (no terminal to ask on)`);
    return false;
  }
  output.spinner.stop();
  return io.confirm(`Dedicated endpoint ${endpointId} is ${statusText(state)}. Restart it now? [y/N] `);
}

/**
 * `--wake`: bring the endpoint up, reporting each status/phase change. Returns undefined when it
 * is ready (send the request), else the exit code to stop with — the chat request is never sent.
 */
export async function wakeEndpoint(
  io: ResolvedIO,
  output: Output,
  cfg: FriendliConfig,
  opts: { timeoutMs: number; intervalMs: number; restart: RestartPolicy },
): Promise<ExitCodeValue | undefined> {
  const tag = output.errStyle.dim("[wake]");
  const note = (text: string): void => output.err(`${tag} ${text}\n`);
  const waiting = (): void => output.spinner.start(`waiting for endpoint ${cfg.endpointId}…`);
  const startedAt = io.now();
  const id = cfg.endpointId;
  try {
    const state = await ensureAwake(
      cfg,
      { fetch: io.fetch, sleep: io.sleep, now: io.now, signal: io.signal },
      {
        timeoutMs: opts.timeoutMs,
        intervalMs: opts.intervalMs,
        onStatus(s: EndpointState, elapsedMs) {
          if (output.json) {
            output.jsonLine("wake.status", { endpoint_id: id, status: s.status, phase: s.phase, error_code: s.errorCode, elapsed_ms: elapsedMs });
          } else {
            note(`${id}: ${statusText(s)}${s.phase ? ` · phase ${s.phase}` : ""} (+${formatMs(elapsedMs)})`);
            if (classifyStatus(s.status) !== "ready" && classifyStatus(s.status) !== "failed") waiting();
          }
        },
        onWake(elapsedMs) {
          if (output.json) output.jsonLine("wake.requested", { endpoint_id: id, elapsed_ms: elapsedMs });
          else note(`the endpoint was asleep: wake-up requested`);
          waiting();
        },
        onRestart(elapsedMs) {
          if (output.json) output.jsonLine("wake.restarted", { endpoint_id: id, elapsed_ms: elapsedMs });
          else note(`restart requested`);
          waiting();
        },
        onRetry(err, elapsedMs) {
          if (output.json) output.jsonLine("wake.retry", { endpoint_id: id, message: err.message, elapsed_ms: elapsedMs });
          else note(output.errStyle.yellow(`status check failed, retrying: ${err.message}`));
          waiting();
        },
        ...(opts.restart !== "never" && { confirmRestart: (s: EndpointState) => restartAllowed(io, output, opts.restart, id, s) }),
      },
    );
    output.spinner.stop();
    if (!output.json) note(`${id} is ready (${state.status}) after ${formatMs(io.now() - startedAt)}`);
    return undefined;
  } catch (err) {
    output.spinner.stop();
    // A "no" at the prompt, or no terminal to ask on, was already explained where it happened.
    if (err instanceof FriendliError && err.kind === "declined") {
      if (opts.restart === "ask" && io.confirm !== undefined) output.fail(err.message, { kind: "wake.declined", endpoint_id: id });
      return ExitCode.failure;
    }
    return reportFailure(output, err, id);
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
    output.jsonLine("dedicated.status", {
      endpoint_id: cfg.endpointId,
      status: state.status,
      phase: state.phase,
      error_code: state.errorCode,
      updated_at: state.updatedAt,
      ready,
    });
  } else {
    const s = output.outStyle;
    const status = ready ? s.green(state.status) : s.yellow(state.status);
    const lines = [`endpoint: ${cfg.endpointId}`, `status:   ${status}`, `phase:    ${phaseText(state.phase)}`];
    if (state.errorCode) lines.push(`error:    ${s.red(describeErrorCode(state.errorCode))}`);
    if (state.updatedAt) lines.push(`updated:  ${state.updatedAt}`);
    output.out(`${lines.join("\n")}\n`);
    if (!ready) {
      const hint = isRestartable(state.status)
        ? "it will not come up by itself: run the client with --wake --restart to restart it"
        : classifyStatus(state.status) === "failed"
          ? "it is shutting down: wait, then restart or redeploy it in Friendli Suite"
          : "not ready yet: run the client with --wake to wake it and wait";
      output.err(`${output.errStyle.yellow(hint)}\n`);
    }
  }
  return ready ? ExitCode.ok : ExitCode.failure;
}
