-- wrk script for `make bench`: counts responses that are not 200 and prints one JSON line with
-- requests/s and latency percentiles (milliseconds) at the end. Like a browser, it sends the
-- session cookie the portal last sent back (a signed-in page renews it when the idle deadline
-- moves), so that the figures are a person's reading page after page.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  good = 0
  renewed = 0
  prepared = wrk.format()
end

function request()
  return prepared
end

function response(status, headers, body)
  if status == 200 then
    good = good + 1
  else
    bad = bad + 1
  end
  local set = headers["Set-Cookie"]
  local cookie = wrk.headers["Cookie"]
  if set and cookie then
    local value = set:match("^session=([^;]*)")
    if value then
      wrk.headers["Cookie"] = (cookie:gsub("session=[^;]*", "session=" .. value))
      prepared = wrk.format()
      renewed = renewed + 1
    end
  end
end

function done(summary, latency, requests)
  local bad_total, good_total, renewed_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    good_total = good_total + thread:get("good")
    renewed_total = renewed_total + thread:get("renewed")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.2f, "ok": %d, "not_ok": %d, ' ..
    '"socket_errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
    '"cookies_renewed": %d}\n',
    summary.requests, seconds, summary.requests / seconds, good_total, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, renewed_total))
end
