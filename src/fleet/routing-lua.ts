import { z } from "zod";
import { CREDENTIALS_REFUSED, type HealthSettings, type ProviderState } from "../providers/index.js";
import { LUA_NOW } from "./keys.js";

/**
 * One script for every transition of one provider's shared record, so the rules live in one
 * place and mirror `createMemoryRoutingState` (src/providers/state.ts) line for line. Differences,
 * on purpose: a failure while the circuit is already open does not re-open it (so a burst of
 * failures seen by several replicas opens it once), and the record counts its openings.
 *
 * KEYS: provider hash, ok window, fail window, probe claim, in-flight hash, replicas zset.
 * ARGV: op, replica id, channel, provider id, 8 health numbers, then the op's own arguments.
 * Returns the provider's view as JSON; a state change is also published on the channel.
 */
export const ROUTING_LUA = `${LUA_NOW}
local P, WOK, WFAIL, PROBE, INFL, REPL = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op, me, channel, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local cooldownMs, windowMs, minRequests, consecutiveLimit = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local failureRate, maxOpenMs, claimTtlMs, stateTtlMs = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local a1, a2, a3, a4, a5 = ARGV[13], ARGV[14], ARGV[15], ARGV[16], ARGV[17]

local raw = redis.call('HGETALL', P)
local h = {}
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
local function num(k, d) local v = tonumber(h[k]); if v == nil then return d end; return v end
local s = {
  state = h['state'] or 'active', untilMs = num('until', 0), openMs = num('openMs', cooldownMs),
  consecutive = num('consecutive', 0), requests = num('requests', 0), successes = num('successes', 0),
  failures = num('failures', 0), ewma = num('ewma', -1), opens = num('opens', 0), ver = num('ver', 0)
}
-- Timed states end on read, as in memory: no timers anywhere.
if s.state == 'cooldown' and now >= s.untilMs then s.state = 'active' end
if s.state == 'open' and now >= s.untilMs then s.state = 'half_open' end

local dirty, change, granted = false, nil, 0
local function move(to, reason)
  if s.state == to then return end
  change = { from = s.state, to = to, reason = reason }
  s.state = to
end
local function open(reason)
  if s.state == 'open' then return end
  s.untilMs = now + s.openMs
  s.opens = s.opens + 1
  move('open', reason)
end
local function record(ok)
  local seq = redis.call('HINCRBY', P, 'seq', 1)
  local key = WFAIL
  if ok then key = WOK end
  redis.call('ZADD', key, now, now .. ':' .. seq)
  redis.call('ZREMRANGEBYSCORE', WOK, '-inf', '(' .. (now - windowMs))
  redis.call('ZREMRANGEBYSCORE', WFAIL, '-inf', '(' .. (now - windowMs))
  redis.call('PEXPIRE', WOK, windowMs + 1000)
  redis.call('PEXPIRE', WFAIL, windowMs + 1000)
end
local function bump(n)
  if redis.call('HINCRBY', INFL, me, n) < 0 then redis.call('HSET', INFL, me, 0) end
  redis.call('PEXPIRE', INFL, stateTtlMs)
end

if op == 'count' then
  bump(1)
  s.requests = s.requests + 1
  dirty = true
elseif op == 'claim' then
  if s.state == 'active' then
    granted = 1
  elseif s.state == 'half_open' and redis.call('SET', PROBE, a1, 'NX', 'PX', claimTtlMs) then
    granted = 1
  end
  if granted == 1 then
    bump(1)
    s.requests = s.requests + 1
    dirty = true
  end
elseif op == 'release' then
  bump(-1)
  -- A probe that ended without a verdict (client left) must not block the next one.
  if a1 ~= '' and redis.call('GET', PROBE) == a1 then redis.call('DEL', PROBE) end
elseif op == 'success' then
  s.successes = s.successes + 1
  s.consecutive = 0
  record(true)
  if a1 ~= '' then
    local x = tonumber(a1)
    if s.ewma < 0 then s.ewma = x else s.ewma = 0.3 * x + 0.7 * s.ewma end
  end
  if s.state == 'half_open' then
    s.openMs = cooldownMs
    -- A recovered provider starts with a clean record, or one old failure could reopen it.
    redis.call('DEL', WOK, WFAIL, PROBE)
    record(true)
    move('active', 'probe succeeded')
  end
  dirty = true
elseif op == 'failure' then
  s.failures = s.failures + 1
  dirty = true
  if a1 == '1' then
    redis.call('DEL', PROBE)
    local retry = tonumber(a2)
    s.untilMs = now + (retry or cooldownMs)
    if retry then move('cooldown', '429 with Retry-After') else move('cooldown', '429') end
  else
    s.consecutive = s.consecutive + 1
    record(false)
    if a3 == '1' then
      -- Refused credentials: out of rotation at once, for as long as a circuit ever stays open.
      redis.call('DEL', PROBE)
      s.openMs = maxOpenMs
      open(${JSON.stringify(CREDENTIALS_REFUSED)})
    elseif s.state == 'half_open' then
      redis.call('DEL', PROBE)
      s.openMs = math.min(s.openMs * 2, maxOpenMs)
      open('probe failed')
    else
      local failed = redis.call('ZCARD', WFAIL)
      local total = failed + redis.call('ZCARD', WOK)
      if s.consecutive >= consecutiveLimit then
        local plural = 's'
        if s.consecutive == 1 then plural = '' end
        open(s.consecutive .. ' consecutive failure' .. plural)
      elseif total >= minRequests and failed / total > failureRate then
        open('failure rate ' .. math.floor(100 * failed / total + 0.5) .. '% over ' .. (windowMs / 1000) .. 's')
      end
    end
  end
elseif op == 'probed' then
  if a1 == '0' and s.state ~= 'unhealthy' then move('unhealthy', 'health check failed')
  elseif a1 == '1' and s.state == 'unhealthy' then move('active', 'health check passed') end
  dirty = change ~= nil
elseif op == 'merge' then
  -- After running alone: our true in-flight count, and a stricter verdict the fleet missed.
  redis.call('HSET', INFL, me, a5)
  redis.call('PEXPIRE', INFL, stateTtlMs)
  if s.state == 'active' and (a1 == 'cooldown' or a1 == 'open' or a1 == 'unhealthy') then
    s.untilMs = now + tonumber(a2)
    s.openMs = tonumber(a3)
    if a1 == 'open' then s.opens = s.opens + 1 end
    move(a1, a4)
    dirty = true
  end
elseif op == 'reset' then
  redis.call('DEL', WOK, WFAIL, PROBE)
  s.untilMs, s.openMs, s.consecutive, s.requests, s.successes, s.failures, s.ewma, s.opens = 0, cooldownMs, 0, 0, 0, 0, -1, 0
  move('active', 'reset')
  dirty = true
end

if dirty then
  redis.call('HSET', P, 'state', s.state, 'until', s.untilMs, 'openMs', s.openMs, 'consecutive', s.consecutive,
    'requests', s.requests, 'successes', s.successes, 'failures', s.failures, 'ewma', s.ewma, 'opens', s.opens)
  s.ver = redis.call('HINCRBY', P, 'ver', 1)
  redis.call('PEXPIRE', P, stateTtlMs)
end

-- Fleet-wide in flight: only replicas whose registration is alive count; a dead one's share goes.
local total, own = 0, 0
local f = redis.call('HGETALL', INFL)
for i = 1, #f, 2 do
  local rep, n = f[i], tonumber(f[i + 1]) or 0
  local lapse = redis.call('ZSCORE', REPL, rep)
  if rep == me or (lapse and tonumber(lapse) > now) then
    if n > 0 then total = total + n end
    if rep == me then own = n end
  else
    redis.call('HDEL', INFL, rep)
  end
end
local rem = 0
if s.state == 'cooldown' or s.state == 'open' then rem = math.max(0, s.untilMs - now) end
local view = { v = s.ver, state = s.state, rem = rem, openMs = s.openMs, cons = s.consecutive, req = s.requests,
  ok = s.successes, fail = s.failures, ewma = s.ewma, infl = total, own = own, opens = s.opens, granted = granted }
if change then
  view.change = change
  redis.call('PUBLISH', channel, cjson.encode({ type = 'provider', id = id, origin = me, view = view }))
end
return cjson.encode(view)
`;

export type RoutingOp = "count" | "claim" | "release" | "success" | "failure" | "probed" | "merge" | "reset" | "view";

/** The 8 health numbers every call passes, in the script's order. */
export function healthArgs(h: HealthSettings, claimTtlMs: number, stateTtlMs: number): number[] {
  return [
    h.cooldown_seconds * 1000,
    h.window_seconds * 1000,
    h.min_requests,
    h.consecutive_failures,
    h.failure_rate,
    h.max_open_seconds * 1000,
    claimTtlMs,
    stateTtlMs,
  ];
}

const PROVIDER_STATES = ["active", "cooldown", "open", "half_open", "unhealthy"] as const satisfies readonly ProviderState[];

/** A provider's record as the script returns and publishes it; validated, since another replica may run another version. */
export const sharedViewSchema = z.object({
  v: z.number(),
  state: z.enum(PROVIDER_STATES),
  rem: z.number(),
  openMs: z.number(),
  cons: z.number(),
  req: z.number(),
  ok: z.number(),
  fail: z.number(),
  ewma: z.number(),
  infl: z.number(),
  own: z.number(),
  opens: z.number(),
  granted: z.number(),
  change: z.object({ from: z.enum(PROVIDER_STATES), to: z.enum(PROVIDER_STATES), reason: z.string() }).optional(),
});
export type SharedView = z.infer<typeof sharedViewSchema>;

/** Messages on the routing channel. */
export const routingMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("provider"), id: z.string(), origin: z.string(), view: sharedViewSchema }),
  z.object({ type: z.literal("strategies"), origin: z.string() }),
]);
