//! Territories: French régions and départements, their INSEE codes, names and bounding
//! boxes, and the lookups classification needs (by INSEE IRI, by name, by extent).
//!
//! Keys: a département is keyed by its INSEE code (`29`, `2A`, `971`); a région by
//! `region-` and its code (`region-53`), because région and département codes overlap
//! (`53` is both Bretagne and Mayenne).

use super::text::normalize;

/// A WGS84 bounding box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// Minimum longitude.
    pub west: f64,
    /// Minimum latitude.
    pub south: f64,
    /// Maximum longitude.
    pub east: f64,
    /// Maximum latitude.
    pub north: f64,
}

impl Bbox {
    /// Returns a box when the corners are finite and ordered, within WGS84 bounds.
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Option<Self> {
        let ok = [west, south, east, north].iter().all(|v| v.is_finite())
            && west <= east
            && south <= north
            && (-180.0..=180.0).contains(&west)
            && (-180.0..=180.0).contains(&east)
            && (-90.0..=90.0).contains(&south)
            && (-90.0..=90.0).contains(&north);
        ok.then_some(Self {
            west,
            south,
            east,
            north,
        })
    }

    /// Parses `west south east north` (the vocabulary file form).
    pub fn parse_plain(text: &str) -> Option<Self> {
        let v: Vec<f64> = text
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        match v.as_slice() {
            [w, s, e, n] => Self::new(*w, *s, *e, *n),
            _ => None,
        }
    }

    /// Parses the extent of a literal as records give it: a WKT `POLYGON`/`MULTIPOLYGON`/
    /// `POINT`/`ENVELOPE` (optionally prefixed by a CRS IRI, assumed WGS84 lon/lat), or four
    /// numbers separated by commas or spaces (`west,south,east,north`), or a GeoJSON
    /// geometry (`{"type":"Polygon","coordinates":…}`). Returns the box
    /// enclosing every coordinate pair; `None` when nothing usable is found.
    ///
    /// ```
    /// use moisson_catalog::vocab::Bbox;
    /// let b = Bbox::parse_literal("POLYGON((-4.6 48.3, -4.4 48.3, -4.4 48.5, -4.6 48.5, -4.6 48.3))").unwrap();
    /// assert_eq!((b.west, b.north), (-4.6, 48.5));
    /// ```
    pub fn parse_literal(text: &str) -> Option<Self> {
        if text.len() > 100_000 {
            return None;
        }
        let body = match text.find('>') {
            Some(i) if text.trim_start().starts_with('<') => &text[i + 1..],
            _ => text,
        };
        let upper = body.trim_start().to_ascii_uppercase();
        let numbers: Vec<f64> = body
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E'))
            .filter(|s| !s.is_empty() && s.chars().any(|c| c.is_ascii_digit()))
            .filter_map(|s| s.parse::<f64>().ok())
            .collect();
        if upper.starts_with("ENVELOPE") {
            // ENVELOPE(minX, maxX, maxY, minY)
            return match numbers.as_slice() {
                [w, e, n, s] => Self::new(*w, *s, *e, *n),
                _ => None,
            };
        }
        let is_wkt = body.trim_start().starts_with('{')
            || upper.starts_with("POLYGON")
            || upper.starts_with("MULTIPOLYGON")
            || upper.starts_with("POINT")
            || upper.starts_with("LINESTRING");
        if !is_wkt {
            return match numbers.as_slice() {
                [w, s, e, n] => Self::new(*w, *s, *e, *n),
                _ => None,
            };
        }
        if numbers.len() < 2 || !numbers.len().is_multiple_of(2) {
            return None;
        }
        let (mut w, mut s, mut e, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for pair in numbers.chunks(2) {
            w = w.min(pair[0]);
            e = e.max(pair[0]);
            s = s.min(pair[1]);
            n = n.max(pair[1]);
        }
        Self::new(w, s, e, n)
    }

    /// Returns true when `other` lies inside this box, with `tolerance` degrees of slack.
    pub fn contains(&self, other: &Bbox, tolerance: f64) -> bool {
        other.west >= self.west - tolerance
            && other.east <= self.east + tolerance
            && other.south >= self.south - tolerance
            && other.north <= self.north + tolerance
    }

    /// Returns the area in square degrees.
    pub fn area(&self) -> f64 {
        (self.east - self.west) * (self.north - self.south)
    }

    /// Returns the centre (longitude, latitude).
    pub fn center(&self) -> (f64, f64) {
        (
            (self.west + self.east) / 2.0,
            (self.south + self.north) / 2.0,
        )
    }

    /// Returns the area of the intersection over the area of the union (0 when disjoint).
    pub fn overlap_ratio(&self, other: &Bbox) -> f64 {
        let w = self.west.max(other.west);
        let e = self.east.min(other.east);
        let s = self.south.max(other.south);
        let n = self.north.min(other.north);
        if w >= e || s >= n {
            return 0.0;
        }
        let inter = (e - w) * (n - s);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }
}

/// The level of a territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TerritoryLevel {
    /// A région.
    Region,
    /// A département.
    Departement,
}

/// A région or département.
#[derive(Debug, Clone, PartialEq)]
pub struct Territory {
    /// The INSEE IRI (`http://id.insee.fr/geo/departement/29`).
    pub iri: String,
    /// The INSEE code (`29`, `2A`, `53`).
    pub code: String,
    /// The French name.
    pub name: String,
    /// Région or département.
    pub level: TerritoryLevel,
    /// The région code of a département.
    pub region: Option<String>,
    /// Approximate bounding box.
    pub bbox: Bbox,
    /// The name normalized with [`normalize`].
    pub normalized_name: String,
}

impl Territory {
    /// Returns a territory; the normalized name is computed here.
    pub fn new(
        iri: String,
        code: String,
        name: String,
        level: TerritoryLevel,
        region: Option<String>,
        bbox: Bbox,
    ) -> Self {
        let normalized_name = normalize(&name);
        Self {
            iri,
            code,
            name,
            level,
            region,
            bbox,
            normalized_name,
        }
    }

    /// Returns the unique key: the code of a département, `region-{code}` for a région.
    pub fn key(&self) -> String {
        match self.level {
            TerritoryLevel::Departement => self.code.clone(),
            TerritoryLevel::Region => format!("region-{}", self.code),
        }
    }

    /// Returns the name with its French preposition: "du Finistère", "de la région Bretagne".
    pub fn name_with_article(&self) -> String {
        match self.level {
            TerritoryLevel::Region => format!("la région {}", self.name),
            TerritoryLevel::Departement => format!("le département {} ({})", self.name, self.code),
        }
    }
}

/// Returns the key of the région or département an INSEE geographic IRI designates:
/// `…/geo/departement/29` → `29`, `…/geo/region/53` → `region-53`, `…/geo/commune/29019`
/// → `29` (the département of the commune).
///
/// ```
/// use moisson_catalog::vocab::territories::key_of_insee_iri;
/// assert_eq!(key_of_insee_iri("http://id.insee.fr/geo/commune/2A004").as_deref(), Some("2A"));
/// assert_eq!(key_of_insee_iri("http://id.insee.fr/geo/commune/97411").as_deref(), Some("974"));
/// assert_eq!(key_of_insee_iri("http://id.insee.fr/geo/region/53").as_deref(), Some("region-53"));
/// ```
pub fn key_of_insee_iri(iri: &str) -> Option<String> {
    let rest = iri
        .strip_prefix("http://id.insee.fr/geo/")
        .or_else(|| iri.strip_prefix("https://id.insee.fr/geo/"))?;
    let (kind, code) = rest.split_once('/')?;
    let code = code.trim_end_matches('/');
    if code.is_empty() || code.len() > 6 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    match kind {
        "departement" => Some(code.to_ascii_uppercase()),
        "region" => Some(format!("region-{code}")),
        "commune" | "communeDeleguee" | "communeAssociee" | "arrondissementMunicipal" => {
            if code.len() != 5 {
                return None;
            }
            let dep = if code.starts_with("97") {
                &code[..3]
            } else {
                &code[..2]
            };
            Some(dep.to_ascii_uppercase())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literal_forms() {
        let b = Bbox::parse_literal("-5.1,47.7,-3.4,48.7").expect("csv");
        assert_eq!(b.west, -5.1);
        let b = Bbox::parse_literal(
            "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POLYGON((1 2, 3 2, 3 4, 1 4, 1 2))",
        )
        .expect("crs prefixed");
        assert_eq!((b.west, b.south, b.east, b.north), (1.0, 2.0, 3.0, 4.0));
        assert!(Bbox::parse_literal("POLYGON((1 2, 3))").is_none());
        assert!(Bbox::parse_literal("not a box").is_none());
        assert!(Bbox::parse_literal("ENVELOPE(1, 3, 4, 2)").is_some());
        assert!(Bbox::parse_literal("POINT(400 2)").is_none());
    }

    #[test]
    fn overlap_ratio_is_one_for_equal_boxes() {
        let a = Bbox::new(0.0, 0.0, 2.0, 2.0).expect("box");
        assert!((a.overlap_ratio(&a) - 1.0).abs() < 1e-9);
        let b = Bbox::new(3.0, 3.0, 4.0, 4.0).expect("box");
        assert_eq!(a.overlap_ratio(&b), 0.0);
    }

    #[test]
    fn insee_iris() {
        assert_eq!(
            key_of_insee_iri("http://id.insee.fr/geo/departement/29").as_deref(),
            Some("29")
        );
        assert_eq!(key_of_insee_iri("http://id.insee.fr/geo/pays/99100"), None);
        assert_eq!(
            key_of_insee_iri("http://example.org/geo/departement/29"),
            None
        );
    }
}
