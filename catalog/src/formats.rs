//! File formats, recognised one way everywhere: the quality indicators (open,
//! machine-readable, from a controlled vocabulary), the search facet and the ISO 19139
//! mapping of distributions all read [`FORMATS`] through [`recognise`]. (They used to keep
//! three tables: a `.tif` was TIFF for the CSW mapping and GeoTIFF for search, « shp zip »
//! a Shapefile for search and unknown to quality.)
//!
//! Codes are those of the EU file-type table; the open and machine-readable flags follow
//! the data.europa.eu MQA lists.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Prefix of the EU file-type table.
pub const EU_FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";

/// IANA media-type registry prefixes.
const IANA_PREFIXES: [&str; 2] = [
    "https://www.iana.org/assignments/media-types/",
    "http://www.iana.org/assignments/media-types/",
];

/// One format.
#[derive(Debug, PartialEq, Eq)]
pub struct FileFormat {
    /// EU file-type code (`CSV`, `SHP`, `WMS_SRVC`…).
    pub code: &'static str,
    /// Search facet value: formats people see as one share it (`excel` for XLS and XLSX).
    pub facet: &'static str,
    /// Facet label.
    pub label: &'static str,
    /// IANA media type, when there is one.
    pub media_type: Option<&'static str>,
    /// Non-proprietary (MQA).
    pub non_proprietary: bool,
    /// Machine-readable (MQA).
    pub machine_readable: bool,
    /// Other spellings: names, extensions, media types, ISO 19139 protocols.
    pub aliases: &'static [&'static str],
}

macro_rules! formats {
    ($( ($code:literal, $facet:literal, $label:literal, $media:expr, $open:literal, $machine:literal, [$($alias:literal),* $(,)?]) ),* $(,)?) => {
        &[ $( FileFormat { code: $code, facet: $facet, label: $label, media_type: $media, non_proprietary: $open, machine_readable: $machine, aliases: &[$($alias),*] } ),* ]
    };
}

/// Every format Moisson recognises.
#[rustfmt::skip]
pub const FORMATS: &[FileFormat] = formats![
    ("CSV", "csv", "CSV", Some("text/csv"), true, true, ["csv", "text/csv", "comma separated values", "fichier csv"]),
    ("TSV", "tsv", "TSV", Some("text/tab-separated-values"), true, true, ["tsv"]),
    ("JSON", "json", "JSON", Some("application/json"), true, true, ["json"]),
    ("JSON_LD", "rdf", "RDF", Some("application/ld+json"), true, true, ["json-ld", "jsonld"]),
    ("GEOJSON", "geojson", "GeoJSON", Some("application/geo+json"), true, true, ["geojson", "application/vnd.geo+json"]),
    ("XML", "xml", "XML", Some("application/xml"), true, true, ["xml", "text/xml"]),
    ("RDF_XML", "rdf", "RDF", Some("application/rdf+xml"), true, true, ["rdf", "rdf/xml", "rdf+xml"]),
    ("RDF_TURTLE", "rdf", "RDF", Some("text/turtle"), true, true, ["ttl", "turtle"]),
    ("RDF_N_TRIPLES", "rdf", "RDF", Some("application/n-triples"), true, true, ["nt", "n-triples"]),
    ("GML", "gml", "GML", Some("application/gml+xml"), true, true, ["gml"]),
    ("GPKG", "geopackage", "GeoPackage", Some("application/geopackage+sqlite3"), true, true, ["gpkg", "geopackage"]),
    ("KML", "kml", "KML", Some("application/vnd.google-earth.kml+xml"), true, true, ["kml"]),
    ("KMZ", "kml", "KML", Some("application/vnd.google-earth.kmz"), true, true, ["kmz"]),
    ("SHP", "shapefile", "Shapefile", None, true, true, ["shp", "shape", "shapefile", "esri shapefile", "shapefile (zip)", "x-shapefile", "application/x-shapefile", "shp zip", "zip shp"]),
    ("ODS", "ods", "ODS", Some("application/vnd.oasis.opendocument.spreadsheet"), true, true, ["ods"]),
    ("NETCDF", "netcdf", "NetCDF", Some("application/x-netcdf"), true, true, ["netcdf", "nc"]),
    ("PARQUET", "parquet", "Parquet", Some("application/vnd.apache.parquet"), true, true, ["parquet"]),
    ("GEOTIFF", "geotiff", "GeoTIFF", None, true, true, ["geotiff", "image/tiff; application=geotiff"]),
    ("WFS_SRVC", "wfs", "WFS", None, true, true, ["wfs", "ogc:wfs", "ogc:wfs-1.0.0-http-get-capabilities", "ogc:wfs-2.0.0", "ogc web feature service", "web feature service"]),
    ("WCS_SRVC", "wcs", "WCS", None, true, true, ["wcs", "ogc:wcs"]),
    ("WMS_SRVC", "wms", "WMS", None, true, false, ["wms", "ogc:wms", "ogc:wms-1.1.1-http-get-map", "ogc:wms-1.3.0-http-get-map", "ogc web map service", "web map service"]),
    ("WMTS_SRVC", "wmts", "WMTS", None, true, false, ["wmts", "ogc:wmts"]),
    ("ATOM", "atom", "Atom", Some("application/atom+xml"), true, true, ["atom"]),
    ("ZIP", "zip", "ZIP", Some("application/zip"), true, false, ["zip", "application/x-zip-compressed"]),
    ("7Z", "7z", "7Z", Some("application/x-7z-compressed"), true, false, ["7z"]),
    ("PDF", "pdf", "PDF", Some("application/pdf"), true, false, ["pdf"]),
    ("HTML", "html", "HTML", Some("text/html"), true, false, ["html", "htm"]),
    // An ISO 19139 protocol for a web page, not a file format: it proves nothing open.
    ("WWW_LINK", "html", "HTML", None, false, false, ["www:link", "www:link-1.0-http--link", "www:link-1.0-http--related"]),
    ("TXT", "txt", "TXT", Some("text/plain"), true, false, ["txt"]),
    ("ODT", "odt", "ODT", Some("application/vnd.oasis.opendocument.text"), true, false, ["odt"]),
    ("PNG", "png", "PNG", Some("image/png"), true, false, ["png"]),
    ("JPEG", "jpeg", "JPEG", Some("image/jpeg"), true, false, ["jpeg", "jpg"]),
    ("TIFF", "geotiff", "GeoTIFF", Some("image/tiff"), true, false, ["tiff", "tif"]),
    ("XLS", "excel", "Excel", Some("application/vnd.ms-excel"), false, true, ["xls", "excel", "ms excel"]),
    ("XLSX", "excel", "Excel", Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), false, true, ["xlsx"]),
    ("MDB", "mdb", "Access", Some("application/x-msaccess"), false, true, ["mdb", "access"]),
    ("GDB", "gdb", "File Geodatabase", None, false, true, ["gdb", "filegdb", "esri file geodatabase"]),
    ("DBF", "dbf", "DBF", Some("application/dbf"), false, true, ["dbf"]),
    ("MAP_INFO", "mapinfo", "MapInfo", None, false, true, ["tab", "mif", "mapinfo", "mif/mid", "mapinfo tab"]),
    ("DWG", "dwg", "DWG", Some("image/vnd.dwg"), false, true, ["dwg"]),
    ("DXF", "dxf", "DXF", Some("image/vnd.dxf"), false, true, ["dxf"]),
    ("ECW", "ecw", "ECW", None, false, false, ["ecw"]),
    ("DOC", "doc", "Word", Some("application/msword"), false, false, ["doc", "word"]),
    ("DOCX", "doc", "Word", Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), false, false, ["docx"]),
    ("PPT", "ppt", "PowerPoint", Some("application/vnd.ms-powerpoint"), false, false, ["ppt"]),
];

/// Lowercase letters and digits only: `ESRI Shapefile` → `esrishapefile`,
/// `OGC:WMS-1.3.0-http-get-map` → `ogcwms130httpgetmap`.
fn fold(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn index() -> &'static HashMap<String, &'static FileFormat> {
    static INDEX: OnceLock<HashMap<String, &'static FileFormat>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut out = HashMap::new();
        // Codes first, then media types and aliases: an earlier row keeps a shared key.
        for f in FORMATS {
            out.entry(fold(f.code)).or_insert(f);
        }
        for f in FORMATS {
            for key in f.media_type.iter().chain(f.aliases) {
                out.entry(fold(key)).or_insert(f);
            }
        }
        out
    })
}

/// The format of EU file-type code `code`.
pub fn by_code(code: &str) -> Option<&'static FileFormat> {
    FORMATS.iter().find(|f| f.code == code)
}

/// Recognises a `dct:format` / `dcat:mediaType` value, a format name or a file extension:
/// an EU file-type IRI, an IANA media-type IRI or media type, another IRI by its last
/// segment, or free text (`ESRI Shapefile`, `.csv`, `OGC:WMS`).
pub fn recognise(raw: &str) -> Option<&'static FileFormat> {
    let raw = raw.trim();
    if let Some(code) = raw.strip_prefix(EU_FILE_TYPE) {
        return by_code(code);
    }
    let text = IANA_PREFIXES
        .iter()
        .find_map(|p| raw.strip_prefix(p))
        .or_else(|| raw.split("/media-types/").nth(1))
        .unwrap_or_else(|| {
            if raw.starts_with("http://") || raw.starts_with("https://") {
                let trimmed = raw.trim_end_matches('/');
                trimmed.rsplit(['/', '#']).next().unwrap_or(trimmed)
            } else {
                raw
            }
        });
    let key = fold(text);
    if key.is_empty() {
        return None;
    }
    index().get(&key).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> Option<&'static str> {
        recognise(raw).map(|f| f.code)
    }

    #[test]
    fn every_spelling_names_one_format() {
        for raw in [
            "SHP",
            "shapefile",
            "ESRI Shapefile",
            "x-shapefile",
            "shp zip",
            "Shapefile (zip)",
        ] {
            assert_eq!(code(raw), Some("SHP"), "{raw}");
        }
        assert_eq!(code(&format!("{EU_FILE_TYPE}CSV")), Some("CSV"));
        assert_eq!(
            code("https://www.iana.org/assignments/media-types/application/geo+json"),
            Some("GEOJSON")
        );
        assert_eq!(
            code("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Some("XLSX")
        );
        assert_eq!(code("OGC:WMS"), Some("WMS_SRVC"));
        assert_eq!(code("WMS_SRVC"), Some("WMS_SRVC"));
        assert_eq!(code("WWW:LINK"), Some("WWW_LINK"));
        assert_eq!(code(".csv"), Some("CSV"));
        assert_eq!(code("bizarre"), None);
        assert_eq!(code(""), None);
    }

    #[test]
    fn the_table_is_consistent() {
        let mut codes = std::collections::HashSet::new();
        for f in FORMATS {
            assert!(codes.insert(f.code), "{} twice", f.code);
            assert!(!f.facet.is_empty() && !f.label.is_empty());
        }
        // A tif is the same format for the mapping, the facet and the indicators.
        let tif = recognise("tif").expect("tif");
        assert_eq!((tif.code, tif.facet), ("TIFF", "geotiff"));
    }
}
