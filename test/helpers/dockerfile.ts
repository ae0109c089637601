/**
 * A Dockerfile read and replayed without Docker: each stage gets a directory standing in for its
 * file system, COPY copies from the build context through the ignore file (or from an earlier
 * stage), RUN runs the shell command in the stage's WORKDIR with its ENV. What cannot be done
 * without an engine is substituted, and every substitution is written to the replay's log:
 *
 * - `FROM` images are not pulled: this machine's Node and npm stand in for the base image's.
 * - Absolute paths in a RUN command and in ENV values point into the stage's directory.
 * - `chown` and `--chown=` to the image's `node` user use its numbers in the node images (1000),
 *   and only take effect when the replay runs as root.
 * - A RUN may be replaced by the caller (`substitute`), e.g. `npm ci` by a link to a checkout's
 *   identical install; a later `COPY --from` of anything under a substituted path is refused, so a
 *   substitute can never reach the final stage.
 */
import { spawn, spawnSync } from "node:child_process";
import { chownSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

/** Instructions split into stages; continuation lines joined, comments and parser directives dropped. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i] ?? "";
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      const next = lines[++i] ?? "";
      // Comment lines inside a continued instruction are dropped, as Docker does.
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, "\n") + next;
    }
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot read ${JSON.stringify(line)}`);
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${start}: FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${start}: ${keyword} before any FROM`);
    stage.instructions.push({ keyword, args, line: start });
  }
  return stages;
}

/** `--flag=value` options at the start of an instruction's arguments, and the rest. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest); m; m = /^--([\w-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags[m[1]!] = m[2] ?? "";
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** `ENV A=1 B="two words"` (or the old `ENV A 1`) as pairs. */
export function parseEnv(args: string): [string, string][] {
  const old = /^(\w+)\s+([^=]*)$/.exec(args);
  if (old) return [[old[1]!, old[2]!]];
  const pairs: [string, string][] = [];
  for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const raw = m[2]!;
    pairs.push([m[1]!, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.replace(/^'(.*)'$/, "$1")]);
  }
  return pairs;
}

/** CMD / ENTRYPOINT: the exec form as its array, the shell form under `/bin/sh -c`. */
export function parseCommand(args: string): string[] {
  if (args.startsWith("[")) return JSON.parse(args) as string[];
  return ["/bin/sh", "-c", args];
}

/**
 * The ignore file's rules (Go's filepath.Match plus `**`, `!` to let back in, the last match
 * wins, a pattern that matches a directory covers everything in it): true when `rel` is sent.
 */
export function dockerignore(text: string): (rel: string) => boolean {
  const rules = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const keep = l.startsWith("!");
      const pattern = posix.normalize(l.slice(keep ? 1 : 0).trim()).replace(/^\/+|\/+$/g, "");
      const source = pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) =>
          part === "**/" ? "(?:.*/)?" : part === "**" ? ".*" : part === "*" ? "[^/]*" : part === "?" ? "[^/]" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
        )
        .join("");
      return { keep, re: new RegExp(`^${source}$`) };
    });
  return (rel) => {
    const parts = posix.normalize(rel).split("/");
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let sent = true;
    for (const { keep, re } of rules) if (prefixes.some((p) => re.test(p))) sent = keep;
    return sent;
  };
}

/** Every file (and symlink) under `dir`, relative to it, with `/` separators. */
export function listFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

/** A stage as replayed: its directory, and where it stands when the last instruction is done. */
export interface ReplayedStage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string;
  cmd?: string[];
  healthcheck?: string[];
  /** Paths in the stage (image paths) whose content a substitute put there. */
  substituted: string[];
}

export interface ReplayOptions {
  /** The build context (the repository root). */
  context: string;
  ignore: (rel: string) => boolean;
  /** Where the stages' directories go. */
  work: string;
  /** Instead of running `command`, do this (and say what in `log`); undefined: run it. */
  substitute?: (command: string, stage: ReplayedStage, hostDir: string) => Promise<{ note: string; paths: string[] } | undefined>;
  log: (line: string) => void;
}

/** The numbers of the users the node images define. */
const IMAGE_USERS: Record<string, number> = { root: 0, node: 1000 };

export const imageUid = (user: string): number => {
  const uid = IMAGE_USERS[user.split(":")[0] ?? ""] ?? Number(user.split(":")[0]);
  if (!Number.isInteger(uid)) throw new Error(`unknown image user ${user}`);
  return uid;
};

const asRoot = process.getuid?.() === 0;

/** `/app/x` in the stage → the host path standing for it. */
export const hostPath = (stage: ReplayedStage, imagePath: string): string => join(stage.root, posix.resolve(stage.workdir, imagePath));

function chownTree(path: string, owner: string): void {
  if (!asRoot) return;
  const uid = imageUid(owner);
  const gid = imageUid(owner.split(":")[1] ?? owner);
  chownSync(path, uid, gid);
  if (lstatSync(path).isDirectory()) for (const f of readdirSync(path)) chownTree(join(path, f), owner);
}

/** `chown` inside RUN: the image's user names as numbers, applied only when we are root. */
function chownShim(dir: string): string {
  const real = ["/usr/bin/chown", "/bin/chown"].find((p) => existsSync(p)) ?? "chown";
  const map = Object.entries(IMAGE_USERS)
    .flatMap(([n, id]) => [`${n}:${n}) a=${id}:${id};;`, `${n}) a=${id};;`])
    .join(" ");
  const script = `#!/bin/sh
# chown in a replayed RUN: the image's users by number; only root may really change owners.
for x in "$@"; do a="$x"; case "$x" in ${map} esac; set -- "$@" "$a"; shift; done
[ "$(id -u)" = 0 ] && exec ${real} "$@"
exit 0
`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "chown"), script, { mode: 0o755 });
  return dir;
}

/**
 * A copy between stages: hard links where the file system allows (the earlier stage is finished,
 * so nothing changes them any more; a removal in the new stage unlinks only its own name), else a copy.
 */
function copyTree(from: string, to: string): void {
  // Into an existing directory Docker merges, which `cp` would not do: copy then.
  if (!existsSync(to)) {
    if (spawnSync("cp", ["-al", from, to]).status === 0) return;
    rmSync(to, { recursive: true, force: true });
  }
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/** Run a shell command; fail with its output unless it exits 0. */
async function sh(command: string, cwd: string, env: Record<string, string>): Promise<string> {
  const child = spawn("/bin/sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => {
    child.on("close", resolve);
    child.on("error", () => resolve(null));
  });
  if (code !== 0) throw new Error(`RUN ${command} exited ${code} in ${cwd}:\n${out}`);
  return out;
}

/**
 * Replay every stage, in order of need: a stage waits for the stages it copies from, and stages
 * that do not depend on each other run at the same time, as BuildKit runs them.
 */
export async function replayDockerfile(stages: Stage[], opts: ReplayOptions): Promise<ReplayedStage[]> {
  const shims = chownShim(join(opts.work, "shims"));
  const done = new Map<string, Promise<ReplayedStage>>();
  const byName = new Map(stages.map((s) => [s.name, s]));

  async function replay(stage: Stage, index: number): Promise<ReplayedStage> {
    const s: ReplayedStage = { name: stage.name, root: join(opts.work, `${index}-${stage.name}`), workdir: "/", env: {}, user: "root", substituted: [] };
    mkdirSync(s.root, { recursive: true });
    opts.log(`[${s.name}] FROM ${stage.from}: not pulled; this machine's Node ${process.version} and npm stand in for it`);
    for (const ins of stage.instructions) {
      const where = `Dockerfile line ${ins.line}, ${ins.keyword}`;
      switch (ins.keyword) {
        case "WORKDIR":
          s.workdir = posix.resolve(s.workdir, ins.args);
          mkdirSync(hostPath(s, "."), { recursive: true });
          break;
        case "ENV":
          for (const [k, v] of parseEnv(ins.args)) s.env[k] = v;
          break;
        case "COPY":
          await copy(s, ins.args, where);
          break;
        case "RUN": {
          const command = ins.args.replace(/\n/g, " ");
          const cwd = hostPath(s, ".");
          const sub = await opts.substitute?.(command, s, cwd);
          if (sub) {
            s.substituted.push(...sub.paths);
            opts.log(`[${s.name}] RUN ${command}: substituted — ${sub.note}`);
            break;
          }
          // Absolute image paths (`/data`) into the stage's directory.
          const rebased = command.replace(/(^|[\s=:'"])\/(?=[\w.])/g, `$1${s.root}/`);
          opts.log(`[${s.name}] RUN ${command}${rebased === command ? "" : `  (as ${rebased})`}`);
          const started = Date.now();
          await sh(rebased, cwd, { ...baseEnv(shims), ...s.env });
          opts.log(`[${s.name}]   done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          break;
        }
        case "USER":
          s.user = ins.args;
          break;
        case "CMD":
          s.cmd = parseCommand(ins.args);
          break;
        case "HEALTHCHECK": {
          const m = /\bCMD\s+([\s\S]*)$/.exec(ins.args);
          if (m) s.healthcheck = parseCommand(m[1]!.trim());
          break;
        }
        case "EXPOSE":
        case "STOPSIGNAL":
        case "LABEL":
          break;
        default:
          // ARG, ENTRYPOINT, ADD, SHELL, VOLUME, ONBUILD: not understood here; better to say so than to guess.
          throw new Error(`${where}: the replay does not know ${ins.keyword}; teach test/helpers/dockerfile.ts`);
      }
    }
    return s;
  }

  async function copy(s: ReplayedStage, args: string, where: string): Promise<void> {
    const { flags, rest } = splitFlags(args);
    if (rest.startsWith("[")) throw new Error(`${where}: the JSON form of COPY is not replayed`);
    const words = rest.split(/\s+/);
    const dest = words.pop() ?? "";
    const intoDir = dest.endsWith("/") || words.length > 1;
    const from = flags.from === undefined ? undefined : await stageNamed(flags.from, where);
    for (const src of words) {
      const started = Date.now();
      const target = intoDir ? posix.join(dest, basename(src)) : dest;
      const to = hostPath(s, target);
      let copied = 0;
      if (from) {
        const imagePath = posix.resolve(from.workdir, src);
        const bad = from.substituted.find((p) => p === imagePath || p.startsWith(`${imagePath}/`) || imagePath.startsWith(`${p}/`));
        if (bad) throw new Error(`${where}: copies ${imagePath} from ${from.name}, where ${bad} was substituted, not built: the replay would prove nothing`);
        const fromPath = hostPath(from, imagePath);
        if (!existsSync(fromPath)) throw new Error(`${where}: ${imagePath} does not exist in stage ${from.name}`);
        mkdirSync(dirname(to), { recursive: true });
        copyTree(fromPath, to);
        copied = statSync(fromPath).isDirectory() ? listFiles(fromPath).length : 1;
      } else {
        const rel = posix.normalize(src).replace(/^\.?\/+|\/+$/g, "");
        const abs = join(opts.context, rel);
        if (!existsSync(abs)) throw new Error(`${where}: ${src} is not in the build context`);
        const files = statSync(abs).isDirectory() ? listFiles(abs).map((f) => [`${rel}/${f}`, f] as const) : [[rel, ""] as const];
        for (const [ctx, inside] of files) {
          if (!opts.ignore(ctx)) continue;
          const out = inside ? join(to, inside) : to;
          mkdirSync(dirname(out), { recursive: true });
          cpSync(join(opts.context, ctx), out, { verbatimSymlinks: true });
          copied++;
        }
        // Docker fails the build when the ignore file keeps a source out entirely.
        if (copied === 0) throw new Error(`${where}: ${src} is kept out of the context by the ignore file`);
      }
      if (flags.chown) chownTree(to, flags.chown);
      opts.log(
        `[${s.name}] COPY ${from ? `--from=${from.name} ` : ""}${src} → ${posix.resolve(s.workdir, target)} (${copied} files, ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  }

  async function stageNamed(name: string, where: string): Promise<ReplayedStage> {
    const p = done.get(name);
    if (!p) throw new Error(`${where}: no earlier stage named ${name}${byName.has(name) ? " (it comes later)" : ""}`);
    return p;
  }

  stages.forEach((stage, i) => {
    const p = replay(stage, i);
    // Failures surface through Promise.all below; this only keeps an unawaited one from crashing.
    p.catch(() => undefined);
    done.set(stage.name, p);
  });
  return Promise.all(stages.map((s) => done.get(s.name)!));
}

/** What a RUN sees besides the stage's ENV: our PATH (with the chown shim first) and HOME. */
function baseEnv(shims: string): Record<string, string> {
  return {
    PATH: `${shims}:${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: process.env.HOME ?? "/root",
    // npm takes what it has cached (the lockfile pins every tarball by integrity): where the bytes
    // come from, not which ones.
    npm_config_prefer_offline: "true",
  };
}
