-- wrk script: cycles through the 20 realistic queries of queries.txt (one API path per
-- line), each answered with facets. Usage:
--   wrk -t1 -c16 -d30s --latency -s search/bench/mixed-queries.lua http://127.0.0.1:8080
local paths = {}
for line in io.lines("search/bench/queries.txt") do
  if #line > 0 then paths[#paths + 1] = line end
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
