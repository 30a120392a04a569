"""Lua scripts of the Redis storage: each one is an atomic read or write.

Timestamps follow docs/protocol.rst, "Timestamps and synchronisation":
without a forced value ``max(now, previous + 1)``;
with one, the record keeps it and the collection timestamp becomes it when
greater than the previous one, ``previous + 1`` otherwise. Writes given an
``expected`` timestamp (anything but ``skip``) return ``{'changed'}`` when the
collection timestamp differs, so that the caller retries. Writes asked to
(``'1'`` argument) also return the previous values of the keys they change,
so that the caller can undo them (:mod:`cliquet._transaction`).
"""

_NEXT_TIMESTAMP = """
local function next_timestamp(previous, forced, now)
  if previous == nil then return forced or now end
  if forced == nil then return math.max(now, previous + 1) end
  if forced > previous then return forced end
  return previous + 1
end
-- Whether a request transaction other than the one of token holds the collection.
local function held(lock, token)
  local holder = redis.call('GET', lock)
  return holder and holder ~= token
end
local function changed(raw, expected)
  return expected ~= 'skip' and (raw or '') ~= expected
end
-- Checked before any write, so that no command can fail half-way.
local function wrong_set(...)
  for _, key in ipairs({...}) do
    local kind = redis.call('TYPE', key).ok
    if kind ~= 'none' and kind ~= 'set' then return key end
  end
  return nil
end
"""

# KEYS: timestamp, records set, deleted set. ARGV: key prefix, include deleted ('1'/'0').
# Returns the raw timestamp ('' if none) and two JSON arrays: records, tombstones.
LOAD = """
local function load(set, suffix)
  local ids = redis.call('SMEMBERS', set)
  local values = {}
  for i = 1, #ids, 1000 do
    local keys = {}
    for j = i, math.min(i + 999, #ids) do keys[#keys + 1] = ARGV[1] .. ids[j] .. suffix end
    for _, value in ipairs(redis.call('MGET', unpack(keys))) do
      if value then values[#values + 1] = value end
    end
  end
  return '[' .. table.concat(values, ',') .. ']'
end
local tombstones = '[]'
if ARGV[2] == '1' then tombstones = load(KEYS[3], '.deleted') end
return {redis.call('GET', KEYS[1]) or '', load(KEYS[2], '.records'), tombstones}
"""

# KEYS: timestamp, records set, record key, deleted set, tombstone key, collection lock.
# ARGV: now, forced timestamp or '', expected timestamp or 'skip', id,
#       JSON head ('{"last_modified":'), rest of the record JSON after '{', mode,
#       return previous values ('1'/'0'), token of the writer's transaction or ''.
# Mode 'create' refuses an existing id ({'exists', json}) and removes the tombstone.
# Returns {'held', ''} while another transaction holds the collection, else
# {'ok', stamp, previous record, previous tombstone} (false if none or not asked).
WRITE = _NEXT_TIMESTAMP + """
if held(KEYS[6], ARGV[9]) then return {'held', ''} end
local raw = redis.call('GET', KEYS[1])
local wrong = wrong_set(KEYS[2], KEYS[4])
if wrong then return redis.error_reply('WRONGTYPE ' .. wrong .. ' is not a set') end
if changed(raw, ARGV[3]) then return {'changed', ''} end
if ARGV[7] == 'create' then
  local existing = redis.call('GET', KEYS[3])
  if existing then return {'exists', existing} end
end
local forced = tonumber(ARGV[2])
local current = next_timestamp(tonumber(raw), forced, tonumber(ARGV[1]))
local stamp = string.format('%.0f', forced or current)
local previous = {false, false}
if ARGV[8] == '1' then previous = {redis.call('GET', KEYS[3]), redis.call('GET', KEYS[5])} end
local separator = ','
if ARGV[6] == '}' then separator = '' end
redis.call('SET', KEYS[3], ARGV[5] .. stamp .. separator .. ARGV[6])
redis.call('SADD', KEYS[2], ARGV[4])
if ARGV[7] == 'create' then
  redis.call('DEL', KEYS[5])
  redis.call('SREM', KEYS[4], ARGV[4])
end
redis.call('SET', KEYS[1], string.format('%.0f', current))
return {'ok', stamp, previous[1], previous[2]}
"""

# KEYS: timestamp, records set, deleted set, collection lock.
# ARGV: now, expected timestamp or 'skip', key prefix, forced timestamp or '',
#       keep tombstones ('1'/'0'), JSON of the id, modified and deleted field names,
#       return previous values ('1'/'0'), token of the writer's transaction or '',
#       then pairs (id, JSON of the id).
# Returns {'held'} while another transaction holds the collection, else
# {'ok', id1, stamp1, previous record1, previous tombstone1, ...} for the ids
# that were live records (previous values false if not asked or none).
DELETE = _NEXT_TIMESTAMP + """
if held(KEYS[4], ARGV[10]) then return {'held'} end
local raw = redis.call('GET', KEYS[1])
local wrong = wrong_set(KEYS[2], KEYS[3])
if wrong then return redis.error_reply('WRONGTYPE ' .. wrong .. ' is not a set') end
if changed(raw, ARGV[2]) then return {'changed'} end
local previous = tonumber(raw)
local now = tonumber(ARGV[1])
local forced = tonumber(ARGV[4])
local result = {'ok'}
for i = 11, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('SREM', KEYS[2], id) == 1 then
    previous = next_timestamp(previous, forced, now)
    local stamp = string.format('%.0f', forced or previous)
    local old = {false, false}
    if ARGV[9] == '1' then
      old = {redis.call('GET', ARGV[3] .. id .. '.records'),
             redis.call('GET', ARGV[3] .. id .. '.deleted')}
    end
    redis.call('DEL', ARGV[3] .. id .. '.records')
    if ARGV[5] == '1' then
      redis.call('SET', ARGV[3] .. id .. '.deleted', '{' .. ARGV[6] .. ':' .. ARGV[i + 1] ..
        ',' .. ARGV[7] .. ':' .. stamp .. ',' .. ARGV[8] .. ':true}')
      redis.call('SADD', KEYS[3], id)
    end
    result[#result + 1] = id
    result[#result + 1] = stamp
    result[#result + 1] = old[1]
    result[#result + 1] = old[2]
  end
end
if #result > 1 then redis.call('SET', KEYS[1], string.format('%.0f', previous)) end
return result
"""

# KEYS: deleted set. ARGV: key prefix, before or '', modified field name,
# return previous values ('1'/'0').
# Returns {number of tombstones removed, id1, tombstone1, ...} (pairs only if asked).
PURGE = """
local before = tonumber(ARGV[2])
local result = {0}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id .. '.deleted'
  local tombstone = false
  if before ~= nil or ARGV[4] == '1' then tombstone = redis.call('GET', key) end
  if before == nil or tombstone == false or cjson.decode(tombstone)[ARGV[3]] < before then
    redis.call('DEL', key)
    redis.call('SREM', KEYS[1], id)
    result[1] = result[1] + 1
    if ARGV[4] == '1' then
      result[#result + 1] = id
      result[#result + 1] = tombstone
    end
  end
end
return result
"""

# KEYS: timestamp, collection lock. ARGV: now, forced timestamp or '', token or ''.
# Returns {'held'} while another transaction holds the collection, else {'ok',
# the timestamp of the write}: the forced one, else the new collection timestamp.
BUMP = _NEXT_TIMESTAMP + """
if held(KEYS[2], ARGV[3]) then return {'held'} end
local raw = redis.call('GET', KEYS[1])
local forced = tonumber(ARGV[2])
local current = next_timestamp(tonumber(raw), forced, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], current)
return {'ok', forced or current}
"""

# Hold a record id for a request transaction (get_for_update).
# KEYS: lock key, record key. ARGV: token of the holder, time to live (ms),
# read the record ('1'/'0').
# Returns {1, record JSON or false} when the id is now held, {0} when another
# holder has it.
HOLD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local record = false
  if ARGV[3] == '1' then record = redis.call('GET', KEYS[2]) end
  return {1, record}
end
return {0}
"""

# Hold a collection for a request transaction (collection_timestamp_for_update).
# KEYS: collection lock, timestamp. ARGV: token of the holder, time to live (ms), now.
# Returns {1, timestamp} when the collection is now held (its timestamp created
# if missing), {0} when another holder has it.
HOLD_COLLECTION = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[3], 'NX')
  return {1, redis.call('GET', KEYS[2])}
end
return {0}
"""

# KEYS: lock key. ARGV: token of the holder. Deletes the key if it still holds the token.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
