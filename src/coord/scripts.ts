/**
 * The Lua scripts of the Redis coordination: each runs atomically on the server, so two
 * instances never both take the last request, token, slot or cent. Numbers go back as strings
 * (Redis truncates a Lua number to an integer on the way out).
 */

/**
 * KEYS: per subject its bucket hash and its slot set. ARGV: now, estimated tokens, lease id, lease
 * ttl, then per subject rpm, tpm, concurrency. Returns {admitted, reason, wait ms, levels…}.
 */
export const ADMIT = `
local now, est, lease, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local n = #KEYS / 2
local state, out = {}, {}
for i = 1, n do
  local rpm, tpm, conc = tonumber(ARGV[2 + 3 * i]), tonumber(ARGV[3 + 3 * i]), tonumber(ARGV[4 + 3 * i])
  local h = redis.call('HMGET', KEYS[2 * i - 1], 'r', 't', 'at')
  local at = tonumber(h[3]) or now
  local dt = math.max(0, now - at)
  local r = math.min(rpm, (tonumber(h[1]) or rpm) + dt * rpm / 60000)
  local t = math.min(tpm, (tonumber(h[2]) or tpm) + dt * tpm / 60000)
  local need = 0
  if tpm > 0 then need = math.min(math.max(0, est), tpm) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2 * i], '-inf', now)
  state[i] = { rpm = rpm, tpm = tpm, conc = conc, r = r, t = t, need = need }
end
local function levels()
  for i = 1, n do
    out[#out + 1] = tostring(state[i].r)
    out[#out + 1] = tostring(state[i].t)
  end
  return out
end
for i = 1, n do
  local s = state[i]
  local reason, wait = nil, 0
  if s.rpm > 0 and s.r < 1 then reason, wait = 'rpm', (1 - s.r) * 60000 / s.rpm
  elseif s.tpm > 0 and s.t < s.need then reason, wait = 'tpm', (s.need - s.t) * 60000 / s.tpm
  elseif s.conc > 0 and redis.call('ZCARD', KEYS[2 * i]) >= s.conc then reason, wait = 'concurrency', 1000 end
  if reason then
    out = { '0', reason, tostring(wait) }
    return levels()
  end
end
for i = 1, n do
  local s = state[i]
  if s.rpm > 0 then s.r = s.r - 1 end
  s.t = s.t - s.need
  redis.call('HSET', KEYS[2 * i - 1], 'r', tostring(s.r), 't', tostring(s.t), 'at', tostring(now))
  -- Kept until both buckets are full again (then a missing hash means the same thing).
  local refill = 0
  if s.rpm > 0 then refill = math.max(refill, (s.rpm - s.r) * 60000 / s.rpm) end
  if s.tpm > 0 then refill = math.max(refill, (s.tpm - s.t) * 60000 / s.tpm) end
  redis.call('PEXPIRE', KEYS[2 * i - 1], math.ceil(refill) + 60000)
  redis.call('ZADD', KEYS[2 * i], now + ttl, lease)
  redis.call('PEXPIRE', KEYS[2 * i], ttl)
end
out = { '1', '', '0' }
return levels()
`;

/** KEYS: bucket hashes. ARGV: tokens to take (negative: give back). A bucket that expired stays full. */
export const SETTLE_TOKENS = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HINCRBYFLOAT', KEYS[i], 't', -tonumber(ARGV[1])) end
end
return 1
`;

/** KEYS: slot sets. ARGV: lease id. */
export const RELEASE_SLOTS = `
for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`;

/** KEYS: slot sets. ARGV: lease id, new expiry, ttl. A request still in flight keeps its slots. */
export const RENEW_SLOTS = `
for i = 1, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    redis.call('ZADD', KEYS[i], 'XX', ARGV[2], ARGV[1])
    redis.call('PEXPIRE', KEYS[i], ARGV[3])
  end
end
return 1
`;

/** KEYS: the id's marker, then counters. ARGV: micros, marker ttl. Only counters already loaded move. */
export const ADD_ONCE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[1]) end
end
return 1
`;

/**
 * KEYS: wallet hash {b: balance, s: ledger seq it was seeded at}, holds hash. ARGV: id, micros,
 * now, ttl. Returns -1 when the wallet needs seeding, 0 when used up, 1 when held.
 */
export const HOLD = `
local bal = redis.call('HGET', KEYS[1], 'b')
if not bal then return -1 end
local now = tonumber(ARGV[3])
local held = 0
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local micros, expires = string.match(all[i + 1], '^(%d+):(%d+)$')
  if tonumber(expires) <= now then redis.call('HDEL', KEYS[2], all[i]) else held = held + tonumber(micros) end
end
if tonumber(bal) - held <= 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. tostring(now + tonumber(ARGV[4])))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`;

/** KEYS: holds. ARGV: id, new expiry, ttl. A request still in flight keeps its hold. */
export const RENEW_HOLD = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], string.match(held, '^(%d+):') .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** KEYS: wallet, its seed-at-seq. ARGV: balance, seq, ttl. Seeds once; a wallet left alone for `ttl` is seeded again. */
export const SEED_WALLET = `
if redis.call('HSETNX', KEYS[1], 'b', ARGV[1]) == 1 then redis.call('HSET', KEYS[1], 's', ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** KEYS: the id's marker, wallet, holds. ARGV: id, micros (debited), marker ttl, wallet ttl. */
export const SETTLE_WALLET = `
redis.call('HDEL', KEYS[3], ARGV[1])
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'b', -tonumber(ARGV[2]))
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return 1
`;

/** KEYS: the id's marker, wallet. ARGV: micros, marker ttl, ledger seq of the change. A wallet seeded after it already counts it. */
export const CREDIT_WALLET = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then return 0 end
local seeded = tonumber(redis.call('HGET', KEYS[2], 's'))
if seeded and seeded < tonumber(ARGV[3]) then redis.call('HINCRBY', KEYS[2], 'b', ARGV[1]) end
return 1
`;

/**
 * A fixed window in a hash: `s` its start (the instances' clock, as in memory), then `c` a count or
 * members as fields. Redis expires it only to clean up. KEYS: window. ARGV: window ms, now.
 */
const WINDOW = `
local win, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local start = tonumber(redis.call('HGET', KEYS[1], 's'))
if not start or now - start >= win then
  redis.call('DEL', KEYS[1])
  start = now
  redis.call('HSET', KEYS[1], 's', tostring(now))
end
redis.call('PEXPIRE', KEYS[1], win)
`;

/** Returns {count, ms left}. */
export const HIT = `${WINDOW}
return { redis.call('HINCRBY', KEYS[1], 'c', 1), tostring(start + win - now) }
`;

/** ARGV[3]: the member. Returns the number of distinct members. */
export const ADD_DISTINCT = `${WINDOW}
redis.call('HSET', KEYS[1], 'm:' .. ARGV[3], '1')
return redis.call('HLEN', KEYS[1]) - 1
`;

/** KEYS: lock. ARGV: holder, ttl. Takes a free lock or extends our own; 1 when we hold it. */
export const TAKE_LOCK = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`;

/** KEYS: lock. ARGV: holder. Frees it only if we hold it. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
