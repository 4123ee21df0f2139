-- wrk script for `make bench`: counts responses that are not 200 and prints one JSON line with
-- requests/s and latency percentiles (milliseconds) at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  good = 0
end

function response(status, headers, body)
  if status == 200 then
    good = good + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total, good_total = 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    good_total = good_total + thread:get("good")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.2f, "ok": %d, "not_ok": %d, ' ..
    '"socket_errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, seconds, summary.requests / seconds, good_total, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
