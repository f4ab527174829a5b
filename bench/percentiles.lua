-- wrk -s bench/percentiles.lua: wrk's --latency stops at the 99th percentile, and the tail scenario of
-- bench/fanout.sh needs the 99.9th. Only done() is defined, so wrk keeps its fast path (no Lua per request).
-- It adds three lines after wrk's own report, which bench/run.sh and bench/fanout.sh read; latencies are in ms.
--
-- wrk 4.x "corrects" its latency histogram for coordinated omission before reporting it (stats_correct in
-- wrk.c): for every answer slower than twice the mean interval between two requests of one connection
-- (duration / (requests / connections)), it adds made-up samples at that latency minus 1, 2, 3... intervals.
-- For evenly slow answers (three50) that changes nothing, but with 5 % of answers at 250 ms and the rest at
-- 5 ms it turns p90 into ~200 ms: the figures are those of a constant-rate client whose requests queue behind
-- a slow one, not the latencies the requests had. So both are printed: "wrk_ms" as wrk reports them and
-- "raw_ms" from the histogram with the added samples taken out again; "raw_requests" must equal the summary's
-- requests, which checks the undoing. The raw histogram is read through LuaJIT's FFI (wrk links LuaJIT).
--
-- WRK_CONNECTIONS (environment) must be the -c given to wrk: the correction's interval depends on it.

local function ms(us) return us / 1000 end

local function raw_percentiles(summary, latency, connections)
  local ffi = require("ffi")
  ffi.cdef([[typedef struct { uint64_t count, limit, min, max; uint64_t data[]; } wrk_stats;]])
  local s = ffi.cast("wrk_stats **", latency)[0]
  local min, max = tonumber(s.min), tonumber(s.max)
  -- The same integer arithmetic as wrk.c; its loop added, for every n > 2e, data[n] samples at n - k·e > e, so
  -- corrected[m] = sum over k >= 0 of raw[m + k·e] for m > e, hence raw[m] = corrected[m] - corrected[m + e].
  local per_connection = math.floor(summary.requests / connections)
  local e = per_connection > 0 and math.floor(summary.duration / per_connection) or 0
  local function corrected(m) return m <= max and tonumber(s.data[m]) or 0 end
  local function raw(m)
    if e > 0 and m > e then return corrected(m) - corrected(m + e) end
    return corrected(m)
  end
  local total = 0
  for m = min, max do total = total + raw(m) end
  local wanted, found, seen, top = {50, 90, 99, 99.9}, {}, 0, min
  local ranks = {}
  for i, p in ipairs(wanted) do ranks[i] = math.floor(p / 100 * total + 0.5 + 0.5) end -- wrk's round(p·n + 0.5)
  local next_rank = 1
  for m = min, max do
    local c = raw(m)
    if c > 0 then
      seen = seen + c
      top = m
      while next_rank <= #wanted and seen >= ranks[next_rank] do
        found[next_rank] = m
        next_rank = next_rank + 1
      end
    end
  end
  return string.format("raw_ms p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f raw_requests=%d interval_ms=%.2f\n",
    ms(found[1] or 0), ms(found[2] or 0), ms(found[3] or 0), ms(found[4] or 0), ms(top), total, ms(e))
end

function done(summary, latency, requests)
  io.write(string.format("wrk_ms p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f\n",
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max)))
  local connections = tonumber(os.getenv("WRK_CONNECTIONS") or "")
  local ok, line = false, "WRK_CONNECTIONS is not set"
  if connections then ok, line = pcall(raw_percentiles, summary, latency, connections) end
  io.write(ok and line or ("raw_ms unavailable: " .. tostring(line) .. "\n"))
  -- errors.status counts answers with a status of 400 or more (wrk's "Non-2xx or 3xx responses").
  local e = summary.errors
  io.write(string.format("summary requests=%d seconds=%.2f connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.timeout, e.status))
end
