#!/usr/bin/env python3
"""Search latency under a territory filter: C clients (16), each sending N requests to
/api/datasets with the territory filter and a word query cycled from a list (one in ten
without words); prints p50/p90/p99 (ms) and requests/s. Run it against `moisson serve` on
the store `moisson bench-search` leaves, with `search_cache_entries = 0`.
Usage: territory-filter-load.py HOST PORT TERRITORY [CLIENTS] [REQUESTS_PER_CLIENT]"""
import http.client, sys, threading, time, urllib.parse

host, port, territory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 16
per_client = int(sys.argv[5]) if len(sys.argv) > 5 else 50
WORDS = ["", "inondation", "zones humides", "eau", "bruit", "plan local d'urbanisme",
         "risques", "qualité de l'air", "cours d'eau", "éolien"]
lat = []
lock = threading.Lock()

def run(k):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    mine = []
    for i in range(per_client):
        q = WORDS[(i + k) % len(WORDS)]
        params = {"territory": territory, "page_size": "20"}
        if q:
            params["q"] = q
        path = "/api/datasets?" + urllib.parse.urlencode(params)
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        mine.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, (r.status, path)
    with lock:
        lat.extend(mine)

# warm-up
run(0)
lat.clear()
start = time.perf_counter()
threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
wall = time.perf_counter() - start
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"territory={territory} clients={clients} requests={len(lat)} p50={pct(0.5):.1f} ms p90={pct(0.9):.1f} ms p99={pct(0.99):.1f} ms rps={len(lat)/wall:.1f}")
