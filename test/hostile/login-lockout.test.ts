import net from "node:net";
import { describe, expect, it } from "vitest";
import { LOGIN_ACCOUNT_MAX_ATTEMPTS, LOGIN_MAX_ATTEMPTS } from "../../src/http/index.js";
import { useStack } from "../helpers/stack.js";

/*
 * The admin login counts an attempt when it starts, before its body is read. Before, the lockout
 * was checked on arrival but counted only once the password had been checked: 300 logins opened
 * at once, their bodies sent 1.5 s later, were all checked, and the right one cleared the lock.
 */

const stack = useStack();
const PASSWORD = "correct horse";

/** A login whose headers go now and whose body waits for `send()`: what a guesser opening many at once does. */
interface LateLogin {
  /** Resolves with the status line's code once the gateway answers (0 if it closed without one). */
  answered: Promise<number>;
  /** Did the answer come before the body was sent? */
  early(): boolean;
  send(password: string): void;
}

function lateLogin(port: number, localAddress = "127.0.0.1"): LateLogin {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress });
  let text = "";
  let bodySent = false;
  let answeredEarly = false;
  const answered = new Promise<number>((resolve) => {
    const status = () => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    socket.on("data", (d: Buffer) => {
      if (text === "") answeredEarly = !bodySent;
      text += d.toString("latin1");
      if (/\r\n\r\n/.test(text)) {
        resolve(status());
        socket.destroy();
      }
    });
    socket.on("close", () => resolve(status()));
    socket.on("error", () => resolve(status()));
  });
  // 60 characters is the longest body sent: the length is promised up front, the bytes come later.
  const padded = (password: string) => `password=${encodeURIComponent(password)}`.padEnd(60, "&");
  socket.write(`POST /admin/login HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60\r\n\r\n`);
  return {
    answered,
    early: () => answeredEarly,
    send(password) {
      bodySent = true;
      if (!socket.destroyed) socket.write(padded(password));
    },
  };
}

/** Wait until `n` of the logins have been answered (the refusals, which need no body). */
async function answeredCount(logins: LateLogin[], n: number): Promise<void> {
  let done = 0;
  for (const l of logins) void l.answered.then(() => done++);
  await expect.poll(() => done).toBeGreaterThanOrEqual(n);
}

describe("the admin login lockout with late bodies", () => {
  it(`300 logins opened at once from one address: ${LOGIN_MAX_ATTEMPTS} are let in, the rest refused before their body; the right password does not lift the lock`, async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: "a-very-long-admin-token", ADMIN_PASSWORD: PASSWORD });
    const logins = Array.from({ length: 300 }, () => lateLogin(gateway.port));
    await answeredCount(logins, 300 - LOGIN_MAX_ATTEMPTS);
    // Every refusal came before any body was sent: the lock was decided on arrival.
    for (const l of logins) l.send(PASSWORD);
    const statuses = await Promise.all(logins.map((l) => l.answered));
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - LOGIN_MAX_ATTEMPTS);
    expect(logins.filter((l, i) => statuses[i] === 429 && !l.early())).toEqual([]);
    // The five let in were checked, and their password was right: they are signed in.
    expect(statuses.filter((s) => s === 303)).toHaveLength(LOGIN_MAX_ATTEMPTS);
    // But the lock they arrived during stays.
    const again = await fetch(`${gateway.url}/admin/login`, { method: "POST", body: new URLSearchParams({ password: PASSWORD }), redirect: "manual" });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(again.headers.get("set-cookie")).toBeNull();
  });

  it(`attempts from many addresses count against the account: after ${LOGIN_ACCOUNT_MAX_ATTEMPTS}, a new address is refused too`, async () => {
    const { gateway } = await stack({}, { ADMIN_TOKEN: "a-very-long-admin-token", ADMIN_PASSWORD: PASSWORD });
    const addresses = Math.ceil(LOGIN_ACCOUNT_MAX_ATTEMPTS / LOGIN_MAX_ATTEMPTS) + 1;
    const logins = Array.from({ length: addresses * LOGIN_MAX_ATTEMPTS }, (_, i) =>
      lateLogin(gateway.port, `127.0.0.${2 + Math.floor(i / LOGIN_MAX_ATTEMPTS)}`),
    );
    await answeredCount(logins, logins.length - LOGIN_ACCOUNT_MAX_ATTEMPTS);
    for (const l of logins) l.send("a wrong guess");
    const statuses = await Promise.all(logins.map((l) => l.answered));
    expect(statuses.filter((s) => s === 303)).toHaveLength(LOGIN_ACCOUNT_MAX_ATTEMPTS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(logins.length - LOGIN_ACCOUNT_MAX_ATTEMPTS);
    const fresh = lateLogin(gateway.port, `127.0.0.${3 + addresses}`);
    expect(await fresh.answered).toBe(429);
    expect(fresh.early()).toBe(true);
  });
});
