#!/usr/bin/env python3
"""Runs the 20 judged queries against a Moisson API (default http://127.0.0.1:18080) and
prints, for each, the total, the top 5 results (title, themes, territories, use cases) and
the top facet values, so a person can judge them. Usage: judged.py [BASE_URL]"""
import json, sys, urllib.parse, urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18080"
QUERIES = [
    ("zones humides en Bretagne", {"q": "zones humides", "territory": "region-53"}),
    ("PPRI du Finistère", {"use_case": "ppri", "territory": "29"}),
    ("inondation (texte libre)", {"q": "inondation"}),
    ("PCAET en Ille-et-Vilaine", {"use_case": "pcaet", "territory": "35"}),
    ("bilan carbone", {"q": "bilan carbone"}),
    ("atlas de la biodiversité communale, Morbihan", {"use_case": "abc", "territory": "56"}),
    ("rénovation énergétique des logements", {"q": "rénovation énergétique des logements"}),
    ("qualité de l'air", {"q": "qualité de l'air"}),
    ("cours d'eau Finistère", {"q": "cours d'eau", "territory": "29"}),
    ("érosion du trait de côte", {"q": "trait de côte"}),
    ("thème risques dans l'Hérault", {"theme": "risques", "territory": "34"}),
    ("éolien en Occitanie", {"q": "éolien", "territory": "region-76"}),
    ("Natura 2000", {"q": "natura 2000"}),
    ("sites et sols pollués", {"q": "sites et sols pollués"}),
    ("DDT, thème eau, Finistère", {"publisher_kind": "ddt", "theme": "eau", "territory": "29"}),
    ("inondation en Shapefile", {"q": "inondation", "format": "shapefile"}),
    ("PLU en Ille-et-Vilaine", {"q": "plan local d'urbanisme", "territory": "35"}),
    ("bruit routier, les plus récents", {"q": "bruit", "sort": "modified"}),
    ("haies et bocage (faute de frappe)", {"q": "bocgae"}),
    ("Dordogne : risques naturels", {"q": "risques naturels", "territory": "24"}),
]

def get(params):
    url = f"{BASE}/api/datasets?{urllib.parse.urlencode(params)}&page_size=5"
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)

for n, (label, params) in enumerate(QUERIES, 1):
    d = get(params)
    print(f"\n## {n}. {label} — {urllib.parse.urlencode(params)} — {d['total']} résultats")
    for r in d["results"]:
        print(f"  - {r['title'][:90]} | thèmes={','.join(r['themes'][:4])} | terr={','.join(r['territories'][:3])} | usages={','.join(r['use_cases'][:3])}")
    for facet in ("theme", "use_case", "territory"):
        values = d["facets"].get(facet, [])[:4]
        print(f"  facet {facet}: " + ", ".join(f"{v['value']}={v['count']}" for v in values))
