-- wrk script: search latency under one territory filter, as territory-filter-load.py but
-- with wrk's lighter client (the Python one takes a core of this 2-core machine). Each
-- request filters on TERRITORY (a commune `commune-29019`, a département `29`…) with a
-- word query cycled from the list below (one in ten without words), 20 results with facets.
-- Serve with `search_cache_entries = 0` to measure computed answers. Usage:
--   TERRITORY=commune-29019 wrk -t2 -c16 -d30s --latency -s search/bench/territory-filter.lua http://127.0.0.1:18080
local territory = os.getenv("TERRITORY") or "29"
local words = { "", "inondation", "zones+humides", "eau", "bruit", "plan+local+d%27urbanisme",
  "risques", "qualit%C3%A9+de+l%27air", "cours+d%27eau", "%C3%A9olien" }
local started = 0
setup = function(thread)
  thread:set("offset", started * 5)
  started = started + 1
end
counter = 0
init = function(args)
  counter = offset or 0
end
request = function()
  counter = counter + 1
  local q = words[(counter % #words) + 1]
  local path = "/api/datasets?page_size=20&territory=" .. territory
  if #q > 0 then path = path .. "&q=" .. q end
  return wrk.format("GET", path)
end
