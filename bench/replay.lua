-- wrk script: thread N sends, in order, the raw HTTP requests of file <dir>/N.req
-- (NUL-separated, built and signed by bench/load.py), and wraps round if it runs out.
-- Argument: the directory. done() prints one line "BENCH {json}" for bench/load.py.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1] .. "/" .. id .. ".req", "rb"))
   local data = file:read("*a")
   file:close()
   queue = {}
   local start = 1
   while start <= #data do
      local stop = string.find(data, "\0", start, true) or (#data + 1)
      queue[#queue + 1] = string.sub(data, start, stop - 1)
      start = stop + 1
   end
   assert(#queue > 0, "no requests for thread " .. id)
   sent = 0
   wrapped = 0
   probing = (id == 0)
end

function request()
   if probing then
      -- Before the run, wrk calls request() once on thread 0 to check what the script
      -- sends: show it the first request without using it up (or its call would lag).
      probing = false
      return queue[1]
   end
   sent = sent + 1
   if sent > #queue then
      wrapped = 1
   end
   return queue[(sent - 1) % #queue + 1]
end

function done(summary, latency, requests)
   local sent_per_thread = {}
   local wrapped_threads = 0
   for _, thread in ipairs(threads) do
      sent_per_thread[#sent_per_thread + 1] = tostring(thread:get("sent"))
      wrapped_threads = wrapped_threads + thread:get("wrapped")
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, '
         .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, '
         .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
         .. '"sent": [%s], "wrapped_threads": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.status,
      errors.connect, errors.read, errors.write, errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      table.concat(sent_per_thread, ", "), wrapped_threads
   ))
end
