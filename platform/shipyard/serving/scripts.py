"""The serving workers' Redis Lua scripts (see ``protocol`` for the lists they move between). Pure."""

# Move up to ARGV[1] messages from the consuming end of KEYS[1] into KEYS[2]; returns them.
MOVE_MANY = """
local out = {}
for i = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not v then break end
  out[i] = v
end
return out
"""

# Fair take: KEYS[1] is the worker's processing list, KEYS[2..] the request lists. Starting at
# list ARGV[1] (1-based), move up to ARGV[1 + i] messages from the consuming end of the first
# non-empty list i into KEYS[1]; returns {i, message...}, or {} when all are empty.
TAKE = """
local n = #KEYS - 1
if n < 1 then return {} end
local start = tonumber(ARGV[1])
for step = 0, n - 1 do
  local i = ((start - 1 + step) % n) + 1
  local out = {}
  for j = 1, tonumber(ARGV[1 + i]) do
    local v = redis.call('LMOVE', KEYS[1 + i], KEYS[1], 'RIGHT', 'LEFT')
    if not v then break end
    out[#out + 1] = v
  end
  if #out > 0 then
    table.insert(out, 1, i)
    return out
  end
end
return {}
"""

# Give a dead worker's in-flight messages (KEYS[1]) back to the consuming end of the request
# list each one names (field "q", a key under ARGV[2]; otherwise KEYS[2]), ring the doorbell
# (KEYS[4]), then forget the worker (KEYS[3], ARGV[1]).
REQUEUE = """
local n = 0
while true do
  local v = redis.call('LPOP', KEYS[1])
  if not v then break end
  local q = KEYS[2]
  local ok, d = pcall(cjson.decode, v)
  if ok and type(d) == 'table' and type(d['q']) == 'string' and string.sub(d['q'], 1, #ARGV[2]) == ARGV[2] then
    q = d['q']
  end
  redis.call('RPUSH', q, v)
  redis.call('LPUSH', KEYS[4], q)
  n = n + 1
end
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[3]) - 1)
redis.call('SREM', KEYS[3], ARGV[1])
return n
"""
