-- wrk script: cycles through the requests of a file (one API path per line), each answered
-- with facets. QUERIES picks the file: search/bench/queries.txt (the 20 realistic queries,
-- the default: after one round they are answered from the search cache) or
-- search/bench/queries-varied.txt (2,000 distinct requests: mostly computed). Usage:
--   QUERIES=search/bench/queries-varied.txt wrk -t2 -c16 -d30s --latency -s search/bench/mixed-queries.lua http://127.0.0.1:8080
local file = os.getenv("QUERIES") or "search/bench/queries.txt"
local paths = {}
for line in io.lines(file) do
  if #line > 0 then paths[#paths + 1] = line end
end
-- Each wrk thread starts at its own place in the list (otherwise both threads send the
-- same request at about the same time, and the second is a cache hit).
local started = 0
setup = function(thread)
  thread:set("offset", started * 997)
  started = started + 1
end
counter = 0
init = function(args)
  counter = offset or 0
end
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
