#!/usr/bin/env python3
"""Converts the official French geography of `@etalab/decoupage-administratif` (npm,
data under Licence Ouverte, built from INSEE's Code officiel géographique, the DGCL's
list of EPCI and La Poste's postal codes) into `catalog/geo/geography.tsv`, the compact
file Moisson embeds.

Usage (rerunnable; the output is sorted and deterministic):

    scripts/geography/convert.py                 # runs `npm pack` into a temporary folder
    scripts/geography/convert.py PACKAGE.tgz     # or reads a tarball already fetched

Output, one record a line, tab-separated, first field the kind:

    V  package-version
    R  code  name                                       (région)
    D  code  région  name                               (département)
    E  siren  type  name  population  département        (EPCI à fiscalité propre;
                                                          département: the one holding
                                                          most of its population)
    C  code  name  département  région  epci  population  postal-codes  siren  old-codes
                                                         (commune actuelle; lists are
                                                          space-separated, epci may be empty)
    A  code  name  commune  postal-codes                 (arrondissement municipal)

Communes déléguées and associées are not listed: their codes go into the old codes of
their commune, so a record citing one still finds the commune.
"""
import collections
import json
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@etalab/decoupage-administratif"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "catalog", "geo", "geography.tsv")


def clean(text):
    return " ".join(str(text).replace("\t", " ").split())


def load(tarball):
    with tarfile.open(tarball) as tar:
        def read(name):
            return json.load(tar.extractfile("package/data/" + name))
        meta = json.load(tar.extractfile("package/package.json"))
        return (meta["version"], read("regions.json"), read("departements.json"),
                read("epci.json"), read("communes.json"))


def convert(tarball):
    version, regions, departements, epcis, communes = load(tarball)
    # Régions and départements only: collectivités d'outre-mer (975, 977, 978, 98x) have
    # no région, and Moisson's territory vocabulary stops at the 101 départements.
    departements = [d for d in departements if d.get("zone") != "com"]
    lines = [f"V\t{version}"]
    for r in sorted((r for r in regions if r.get("zone") != "com"), key=lambda r: r["code"]):
        lines.append(f"R\t{r['code']}\t{clean(r['nom'])}")
    for d in sorted(departements, key=lambda d: d["code"]):
        lines.append(f"D\t{d['code']}\t{d['region']}\t{clean(d['nom'])}")

    kept = {d["code"] for d in departements}
    actual = {c["code"]: c for c in communes
              if c["type"] == "commune-actuelle" and c.get("departement") in kept}
    epci_of = {}
    for e in epcis:
        for m in e.get("membres", []):
            epci_of[m["code"]] = e["code"]
    for e in sorted(epcis, key=lambda e: e["code"]):
        if not any(m["code"] in actual for m in e.get("membres", [])):
            continue
        by_dep = collections.Counter()
        for m in e.get("membres", []):
            c = actual.get(m["code"])
            if c:
                by_dep[c["departement"]] += c.get("population", 0) or 0
        dep = by_dep.most_common(1)[0][0] if by_dep else ""
        pop = e.get("populationMunicipale") or 0
        lines.append(f"E\t{e['code']}\t{e['type']}\t{clean(e['nom'])}\t{pop}\t{dep}")

    old = collections.defaultdict(set)
    for c in communes:
        if c.get("chefLieu") in actual and c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            if c["code"] != c["chefLieu"]:
                old[c["chefLieu"]].add(c["code"])
    for c in actual.values():
        for code in c.get("anciensCodes", []):
            old[c["code"]].add(code)
    for code in sorted(actual):
        c = actual[code]
        postal = " ".join(sorted(set(c.get("codesPostaux", []))))
        olds = " ".join(sorted(old[code] - {code}))
        lines.append("\t".join([
            "C", code, clean(c["nom"]), c["departement"], c["region"], epci_of.get(code, ""),
            str(c.get("population", 0) or 0), postal, c.get("siren", ""), olds,
        ]))
    for c in sorted(communes, key=lambda c: c["code"]):
        if c["type"] == "arrondissement-municipal" and c.get("commune") in actual:
            postal = " ".join(sorted(set(c.get("codesPostaux", []))))
            lines.append(f"A\t{c['code']}\t{clean(c['nom'])}\t{c['commune']}\t{postal}")
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{OUT}: {len(lines)} lines, version {version}", file=sys.stderr)


def main():
    if len(sys.argv) > 1:
        convert(sys.argv[1])
        return
    with tempfile.TemporaryDirectory() as tmp:
        name = subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        convert(os.path.join(tmp, name))


if __name__ == "__main__":
    main()
