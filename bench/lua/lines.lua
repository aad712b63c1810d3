-- wrk script for `make bench`: every request is built from the next line of a file the setup
-- wrote, so each request can target a different order (no two requests share a line unless
-- BENCH_CYCLE=1). Settings come from the environment:
--   BENCH_LINES  path of the lines file
--   BENCH_MODE   form: the line is a form body, POSTed as application/x-www-form-urlencoded
--                json: "<order token>\t<json body>", POSTed as application/json
--                get:  "<order token>\t<path suffix>", a GET of BENCH_PATH .. suffix
--   BENCH_PATH   the request path (the prefix for get)
--   BENCH_CYCLE  1: start again at the first line when all were used; else stop the thread
-- done() prints one line "BENCHJSON {...}" with the summary and latency percentiles.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("id", thread_count)
   table.insert(threads, thread)
end

function init(args)
   -- each thread takes every n-th line, starting at its own id
   lines = {}
   local n = 0
   local step = tonumber(os.getenv("BENCH_THREADS") or "1")
   for line in io.lines(os.getenv("BENCH_LINES")) do
      n = n + 1
      if (n - id) % step == 0 then
         lines[#lines + 1] = line
      end
   end
   mode = os.getenv("BENCH_MODE")
   path = os.getenv("BENCH_PATH")
   cycle = os.getenv("BENCH_CYCLE") == "1"
   used = 0
   exhausted = 0
   form_headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
   used = used + 1
   local i = used
   if i > #lines then
      if cycle then
         i = (i - 1) % #lines + 1
      else
         -- out of lines: stop this thread rather than repeat one (the run is marked)
         exhausted = exhausted + 1
         wrk.thread:stop()
         i = #lines
      end
   end
   local line = lines[i]
   if mode == "form" then
      return wrk.format("POST", path, form_headers, line)
   end
   local token, rest = line:match("^([^\t]*)\t(.*)$")
   if mode == "json" then
      return wrk.format("POST", path, {
         ["Content-Type"] = "application/json",
         ["X-Order-Token"] = token,
      }, rest)
   end
   return wrk.format("GET", path .. rest, { ["X-Order-Token"] = token })
end

function done(summary, latency, requests)
   local used_total, exhausted_total = 0, 0
   for _, thread in ipairs(threads) do
      used_total = used_total + (thread:get("used") or 0)
      exhausted_total = exhausted_total + (thread:get("exhausted") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d, "mean": %.1f}, '
         .. '"lines_used": %d, "exhausted": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean,
      used_total, exhausted_total))
end
