-- wrk script for `npm run bench -- cfssl`: POSTs the request bodies in WRK_POOL (one JSON document a
-- line) in order, each once, starting over only if the pool runs out; WRK_TOKEN, if set, is sent as a
-- bearer token. Prints one WRK_RESULT line of JSON for the benchmark to read.
local bodies = {}
for line in io.lines(os.getenv("WRK_POOL")) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

request = function()
  i = i + 1
  if i > #bodies then i = 1 end
  return wrk.format(nil, nil, nil, bodies[i])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
