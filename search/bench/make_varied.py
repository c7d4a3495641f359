#!/usr/bin/env python3
"""Writes search/bench/queries-varied.txt: 2,000 distinct /api/datasets requests (seeded),
mixing French words, themes, use cases, territories, formats, sorts and pages, so that a
load test measures computed answers, not only cached ones. Usage: make_varied.py [N]"""
import random, sys, urllib.parse

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
rng = random.Random(20261202)
WORDS = ["eau", "zones humides", "inondation", "cours d'eau", "qualité de l'air", "bruit",
         "éolien", "biodiversité", "haies", "bocage", "forêt", "incendie", "littoral",
         "érosion", "PLU", "urbanisme", "logement", "rénovation", "énergie", "carbone",
         "déchets", "sols pollués", "Natura 2000", "ZNIEFF", "captage", "assainissement",
         "nitrates", "crue", "submersion", "risques", "mouvement de terrain", "radon",
         "transport", "vélo", "route", "trafic", "agriculture", "parcelles", "occupation du sol",
         "artificialisation", "paysage", "patrimoine", "tourisme", "école", "santé", "réseau",
         "électricité", "photovoltaïque", "méthanisation", "pêche", "chasse", "mer", "port",
         "station", "mesure", "inventaire", "atlas", "carte", "plan", "schéma", "zonage",
         "bilan", "suivi", "observatoire", "données", "emprise", "limite", "périmètre"]
THEMES = ["eau", "risques", "climat", "nature-paysages-et-biodiversite", "amenagement-et-urbanisme",
          "habitat-et-politique-de-la-ville", "nuisances-dechets-et-pollution",
          "transport-et-deplacements", "mer-et-littoral", "industrie", "prevention-des-inondations",
          "qualite-de-l-air", "masses-d-eau", "parcs-eoliens", "bruit"]
USES = ["pcaet", "ppri", "bilan-carbone", "abc", "renovation-energetique", "sobriete-fonciere",
        "planification-territoriale", "gestion-de-l-eau", "energies-renouvelables",
        "mobilite-durable", "risques-technologiques", "trait-de-cote", "foret-incendies",
        "agriculture-alimentation", "qualite-de-l-air"]
TERRITORIES = ["29", "22", "35", "56", "region-53", "44", "region-52", "13", "34", "region-76",
               "24", "region-75", "69", "region-84", "75", "region-11", "67", "59", "region-32"]
FORMATS = ["shapefile", "csv", "geojson", "wms", "wfs", "pdf", "xlsx"]
SORTS = ["relevance", "modified", "quality"]

seen = set()
out = []
while len(out) < N:
    p = {}
    r = rng.random()
    if r < 0.75:
        words = rng.sample(WORDS, rng.choice([1, 1, 2, 2, 3]))
        p["q"] = " ".join(words)
    if rng.random() < 0.30:
        p["theme"] = rng.choice(THEMES)
    if rng.random() < 0.25:
        p["use_case"] = rng.choice(USES)
    if rng.random() < 0.45:
        p["territory"] = rng.choice(TERRITORIES)
    if rng.random() < 0.10:
        p["format"] = rng.choice(FORMATS)
    if rng.random() < 0.25:
        p["sort"] = rng.choice(SORTS)
    if rng.random() < 0.20:
        p["page"] = str(rng.randint(2, 5))
    line = "/api/datasets?" + urllib.parse.urlencode(p)
    if line not in seen:
        seen.add(line)
        out.append(line)
with open("search/bench/queries-varied.txt", "w") as f:
    f.write("\n".join(out) + "\n")
print(f"{len(out)} requests written to search/bench/queries-varied.txt")
