#!/usr/bin/env python3
"""An independent MQA tally (rdflib, not Moisson's code) of a small DCAT file, following the
data.europa.eu method as ../shared/reference/NOTES.md §1 states it: per indicator, points ×
share of datasets (or distributions) with the property. Offline: accessURL/downloadURL
accessibility score 0 (no HTTP checks), DCAT-AP compliance is given on the command line
(0 or 1, from a SHACL run). Usage: mqa_by_hand.py FILE SHACL_CONFORMS(0|1)"""
import sys
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF

EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "http://www.iana.org/assignments/media-types/"
NON_PROPRIETARY = {"csv", "json", "geojson", "xml", "rdf", "ttl", "gpkg", "geopackage", "txt", "ods", "odt", "html", "zip", "gml", "kml", "wms", "wfs", "jsonld", "n3", "nt", "tsv", "pdf"}
MACHINE_READABLE = {"csv", "json", "geojson", "xml", "rdf", "ttl", "gpkg", "geopackage", "xls", "xlsx", "ods", "shp", "gml", "kml", "wfs", "jsonld", "nt", "tsv"}
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
KNOWN_LICENCES = ("http://publications.europa.eu/resource/authority/licence/",
                  "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
                  "http://creativecommons.org/licenses/", "https://creativecommons.org/licenses/",
                  "http://opendatacommons.org/licenses/", "https://opendatacommons.org/licenses/")

g = rdflib.Graph()
g.parse(sys.argv[1])
conforms = int(sys.argv[2])
datasets = list(g.subjects(RDF.type, DCAT.Dataset))
dists = [d for ds in datasets for d in g.objects(ds, DCAT.distribution)]

def share(nodes, pred):
    return sum(1 for n in nodes if (n, pred, None) in g) / len(nodes) if nodes else 0

def share_if(nodes, test):
    return sum(1 for n in nodes if test(n)) / len(nodes) if nodes else 0

def format_token(d):
    for o in list(g.objects(d, DCTERMS.format)) + list(g.objects(d, DCAT.mediaType)):
        s = str(o).lower().rstrip("/")
        return s.rsplit("/", 1)[-1]
    return None

rows = [
    ("F", "keyword", 30, share(datasets, DCAT.keyword)),
    ("F", "theme", 30, share(datasets, DCAT.theme)),
    ("F", "spatial", 20, share(datasets, DCTERMS.spatial)),
    ("F", "temporal", 20, share(datasets, DCTERMS.temporal)),
    ("A", "accessURL answers (offline: 0)", 50, 0),
    ("A", "downloadURL given", 20, share(dists, DCAT.downloadURL)),
    ("A", "downloadURL answers (offline: 0)", 30, 0),
    ("I", "format", 20, share(dists, DCTERMS.format)),
    ("I", "mediaType", 10, share(dists, DCAT.mediaType)),
    ("I", "format/mediaType from vocabulary", 10, share_if(dists, lambda d: any(str(o).startswith(EU_FILE_TYPE) for o in g.objects(d, DCTERMS.format)) or any(str(o).startswith(IANA) for o in g.objects(d, DCAT.mediaType)))),
    ("I", "non-proprietary", 20, share_if(dists, lambda d: format_token(d) in NON_PROPRIETARY)),
    ("I", "machine-readable", 20, share_if(dists, lambda d: format_token(d) in MACHINE_READABLE)),
    ("I", "DCAT-AP compliance", 30, conforms),
    ("R", "licence (distribution)", 20, share(dists, DCTERMS.license)),
    ("R", "known licence", 10, share_if(dists, lambda d: any(str(o).startswith(KNOWN_LICENCES) for o in g.objects(d, DCTERMS.license)))),
    ("R", "accessRights", 10, share(datasets, DCTERMS.accessRights)),
    ("R", "accessRights vocabulary", 5, share_if(datasets, lambda ds: any(str(o).startswith(ACCESS_RIGHT) for o in g.objects(ds, DCTERMS.accessRights)))),
    ("R", "contactPoint", 20, share(datasets, DCAT.contactPoint)),
    ("R", "publisher", 10, share(datasets, DCTERMS.publisher)),
    ("C", "rights (distribution)", 5, share(dists, DCTERMS.rights)),
    ("C", "byteSize (distribution)", 5, share(dists, DCAT.byteSize)),
    ("C", "issued (dataset)", 5, share(datasets, DCTERMS.issued)),
    ("C", "modified (dataset)", 5, share(datasets, DCTERMS.modified)),
]
total = 0
for dim, name, pts, frac in rows:
    total += pts * frac
    print(f"{dim}  {name:<36} {pts:>3} × {frac:5.2f} = {pts*frac:6.1f}")
print(f"{len(datasets)} dataset(s), {len(dists)} distribution(s): MQA {total:.1f}/405")
