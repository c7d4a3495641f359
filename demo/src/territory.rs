//! French territories the demo records are about: régions, départements and a few
//! communes each, with their INSEE codes and approximate WGS 84 bounding boxes.
//!
//! Codes are the real INSEE (COG) codes; bounding boxes are rounded to 0.01°.

/// A bounding box in WGS 84 longitude/latitude: west, south, east, north.
pub(super) type Bbox = (f64, f64, f64, f64);

#[derive(Debug)]
pub(super) struct Commune {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    pub(super) lon: f64,
    pub(super) lat: f64,
}

#[derive(Debug)]
pub(super) struct Departement {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    /// "du Finistère", "de l'Hérault": the form that follows "le territoire".
    pub(super) of: &'static str,
    pub(super) region: &'static str,
    pub(super) coastal: bool,
    pub(super) bbox: Bbox,
    pub(super) communes: &'static [Commune],
}

#[derive(Debug)]
pub(super) struct Region {
    pub(super) code: &'static str,
    pub(super) name: &'static str,
    pub(super) bbox: Bbox,
}

/// What a record is about.
#[derive(Debug, Clone, Copy)]
pub(super) enum Place {
    Commune(&'static Departement, &'static Commune),
    Departement(&'static Departement),
    Region(&'static Region),
}

impl Place {
    /// The short name: "Brest", "Finistère", "Bretagne".
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Commune(_, commune) => commune.name,
            Self::Departement(departement) => departement.name,
            Self::Region(region) => region.name,
        }
    }

    /// The INSEE code: "29019", "29", "53".
    pub(super) fn code(self) -> &'static str {
        match self {
            Self::Commune(_, commune) => commune.code,
            Self::Departement(departement) => departement.code,
            Self::Region(region) => region.code,
        }
    }

    /// Appends the phrase after "le territoire": "de la commune de Brest", "du Finistère".
    pub(super) fn push_of(self, out: &mut String) {
        match self {
            Self::Commune(_, commune) => {
                out.push_str("de la commune de ");
                out.push_str(commune.name);
            }
            Self::Departement(departement) => out.push_str(departement.of),
            Self::Region(region) => {
                out.push_str("de la région ");
                out.push_str(region.name);
            }
        }
    }

    /// Appends the INSEE geographic IRI of the place.
    pub(super) fn push_insee_iri(self, out: &mut String) {
        out.push_str("http://id.insee.fr/geo/");
        out.push_str(match self {
            Self::Commune(..) => "commune/",
            Self::Departement(_) => "departement/",
            Self::Region(_) => "region/",
        });
        out.push_str(self.code());
    }

    /// The bounding box: the département's or région's, or about 8 × 8 km around a commune.
    pub(super) fn bbox(self) -> Bbox {
        match self {
            Self::Commune(_, commune) => (
                commune.lon - 0.05,
                commune.lat - 0.035,
                commune.lon + 0.05,
                commune.lat + 0.035,
            ),
            Self::Departement(departement) => departement.bbox,
            Self::Region(region) => region.bbox,
        }
    }
}

/// Returns the département with INSEE code `code`, if the tables know it.
pub(super) fn departement(code: &str) -> Option<&'static Departement> {
    DEPARTEMENTS
        .iter()
        .find(|departement| departement.code == code)
}

/// Returns the région with INSEE code `code`, if the tables know it.
pub(super) fn region(code: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|region| region.code == code)
}

/// Returns the départements of région `code` that the tables know, in table order.
pub(super) fn departements_of(code: &str) -> impl Iterator<Item = &'static Departement> + '_ {
    DEPARTEMENTS
        .iter()
        .filter(move |departement| departement.region == code)
}

#[rustfmt::skip]
pub(super) const REGIONS: &[Region] = &[
    Region { code: "53", name: "Bretagne", bbox: (-5.15, 47.27, -1.00, 48.90) },
    Region { code: "52", name: "Pays de la Loire", bbox: (-2.56, 46.27, 0.92, 48.57) },
    Region { code: "76", name: "Occitanie", bbox: (-0.33, 42.33, 4.85, 45.05) },
    Region { code: "84", name: "Auvergne-Rhône-Alpes", bbox: (2.06, 44.12, 7.19, 46.81) },
    Region { code: "93", name: "Provence-Alpes-Côte d'Azur", bbox: (4.23, 42.98, 7.72, 45.13) },
    Region { code: "75", name: "Nouvelle-Aquitaine", bbox: (-1.79, 42.78, 2.61, 47.18) },
    Region { code: "32", name: "Hauts-de-France", bbox: (1.38, 48.84, 4.26, 51.09) },
    Region { code: "28", name: "Normandie", bbox: (-1.95, 48.18, 1.80, 50.07) },
];

macro_rules! communes {
    ($(($code:literal, $name:literal, $lon:literal, $lat:literal)),* $(,)?) => {
        &[$(Commune { code: $code, name: $name, lon: $lon, lat: $lat }),*]
    };
}

#[rustfmt::skip]
pub(super) const DEPARTEMENTS: &[Departement] = &[
    // Bretagne
    Departement {
        code: "29", name: "Finistère", of: "du Finistère", region: "53", coastal: true,
        bbox: (-5.15, 47.70, -3.38, 48.76),
        communes: communes![
            ("29019", "Brest", -4.486, 48.390), ("29232", "Quimper", -4.097, 47.996),
            ("29151", "Morlaix", -3.828, 48.578), ("29039", "Concarneau", -3.914, 47.875),
            ("29103", "Landerneau", -4.250, 48.450), ("29046", "Douarnenez", -4.330, 48.093),
            ("29233", "Quimperlé", -3.550, 47.872), ("29024", "Carhaix-Plouguer", -3.573, 48.276),
            ("29042", "Crozon", -4.490, 48.247), ("29189", "Plougastel-Daoulas", -4.370, 48.372),
            ("29105", "Landivisiau", -4.068, 48.510),
        ],
    },
    Departement {
        code: "22", name: "Côtes-d'Armor", of: "des Côtes-d'Armor", region: "53", coastal: true,
        bbox: (-3.67, 48.03, -1.90, 48.90),
        communes: communes![
            ("22278", "Saint-Brieuc", -2.760, 48.514), ("22113", "Lannion", -3.459, 48.732),
            ("22050", "Dinan", -2.047, 48.455),
        ],
    },
    Departement {
        code: "35", name: "Ille-et-Vilaine", of: "d'Ille-et-Vilaine", region: "53", coastal: true,
        bbox: (-2.29, 47.63, -1.00, 48.71),
        communes: communes![
            ("35238", "Rennes", -1.678, 48.112), ("35288", "Saint-Malo", -2.008, 48.649),
            ("35115", "Fougères", -1.203, 48.352), ("35360", "Vitré", -1.210, 48.124),
            ("35236", "Redon", -2.085, 47.652), ("35051", "Cesson-Sévigné", -1.603, 48.121),
            ("35093", "Dinard", -2.062, 48.632), ("35047", "Bruz", -1.746, 48.025),
        ],
    },
    Departement {
        code: "56", name: "Morbihan", of: "du Morbihan", region: "53", coastal: true,
        bbox: (-3.73, 47.27, -2.03, 48.21),
        communes: communes![
            ("56260", "Vannes", -2.760, 47.658), ("56121", "Lorient", -3.370, 47.748),
            ("56178", "Pontivy", -2.963, 48.068), ("56007", "Auray", -2.981, 47.668),
            ("56165", "Ploërmel", -2.397, 47.932), ("56186", "Quiberon", -3.120, 47.484),
            ("56098", "Lanester", -3.342, 47.762), ("56083", "Hennebont", -3.277, 47.805),
        ],
    },
    // Pays de la Loire
    Departement {
        code: "44", name: "Loire-Atlantique", of: "de la Loire-Atlantique", region: "52",
        coastal: true, bbox: (-2.56, 46.86, -0.92, 47.84),
        communes: communes![
            ("44109", "Nantes", -1.554, 47.218), ("44184", "Saint-Nazaire", -2.214, 47.273),
        ],
    },
    Departement {
        code: "49", name: "Maine-et-Loire", of: "de Maine-et-Loire", region: "52", coastal: false,
        bbox: (-1.36, 46.97, 0.24, 47.81),
        communes: communes![
            ("49007", "Angers", -0.554, 47.478), ("49099", "Cholet", -0.879, 47.060),
            ("49328", "Saumur", -0.077, 47.260),
        ],
    },
    Departement {
        code: "85", name: "Vendée", of: "de la Vendée", region: "52", coastal: true,
        bbox: (-2.40, 46.27, -0.54, 47.08),
        communes: communes![
            ("85191", "La Roche-sur-Yon", -1.427, 46.670),
            ("85194", "Les Sables-d'Olonne", -1.783, 46.497),
        ],
    },
    Departement {
        code: "72", name: "Sarthe", of: "de la Sarthe", region: "52", coastal: false,
        bbox: (-0.45, 47.57, 0.92, 48.49),
        communes: communes![("72181", "Le Mans", 0.199, 48.006)],
    },
    // Occitanie
    Departement {
        code: "34", name: "Hérault", of: "de l'Hérault", region: "76", coastal: true,
        bbox: (2.54, 43.21, 4.20, 43.98),
        communes: communes![
            ("34172", "Montpellier", 3.877, 43.611), ("34301", "Sète", 3.697, 43.403),
            ("34032", "Béziers", 3.215, 43.344), ("34145", "Lunel", 4.136, 43.675),
            ("34003", "Agde", 3.475, 43.311), ("34142", "Lodève", 3.319, 43.731),
            ("34108", "Frontignan", 3.756, 43.448), ("34154", "Mauguio", 3.988, 43.616),
        ],
    },
    Departement {
        code: "31", name: "Haute-Garonne", of: "de la Haute-Garonne", region: "76", coastal: false,
        bbox: (0.44, 42.69, 2.05, 43.92),
        communes: communes![("31555", "Toulouse", 1.444, 43.605)],
    },
    Departement {
        code: "30", name: "Gard", of: "du Gard", region: "76", coastal: true,
        bbox: (3.26, 43.46, 4.85, 44.46),
        communes: communes![("30189", "Nîmes", 4.360, 43.837)],
    },
    Departement {
        code: "66", name: "Pyrénées-Orientales", of: "des Pyrénées-Orientales", region: "76",
        coastal: true, bbox: (1.72, 42.33, 3.18, 42.92),
        communes: communes![("66136", "Perpignan", 2.895, 42.699)],
    },
    Departement {
        code: "11", name: "Aude", of: "de l'Aude", region: "76", coastal: true,
        bbox: (1.69, 42.65, 3.24, 43.46),
        communes: communes![
            ("11069", "Carcassonne", 2.353, 43.213), ("11262", "Narbonne", 3.004, 43.184),
        ],
    },
    // Auvergne-Rhône-Alpes
    Departement {
        code: "69", name: "Rhône", of: "du Rhône", region: "84", coastal: false,
        bbox: (4.24, 45.45, 4.92, 46.30),
        communes: communes![
            ("69123", "Lyon", 4.835, 45.758), ("69266", "Villeurbanne", 4.880, 45.771),
            ("69259", "Vénissieux", 4.886, 45.697), ("69034", "Caluire-et-Cuire", 4.846, 45.795),
            ("69264", "Villefranche-sur-Saône", 4.719, 45.989), ("69029", "Bron", 4.909, 45.739),
            ("69091", "Givors", 4.769, 45.590),
        ],
    },
    Departement {
        code: "38", name: "Isère", of: "de l'Isère", region: "84", coastal: false,
        bbox: (4.74, 44.69, 6.36, 45.88),
        communes: communes![
            ("38185", "Grenoble", 5.724, 45.188), ("38544", "Vienne", 4.874, 45.525),
        ],
    },
    Departement {
        code: "73", name: "Savoie", of: "de la Savoie", region: "84", coastal: false,
        bbox: (5.62, 45.05, 7.19, 45.94),
        communes: communes![("73065", "Chambéry", 5.917, 45.566)],
    },
    Departement {
        code: "74", name: "Haute-Savoie", of: "de la Haute-Savoie", region: "84", coastal: false,
        bbox: (5.80, 45.68, 7.05, 46.41),
        communes: communes![("74010", "Annecy", 6.129, 45.899)],
    },
    Departement {
        code: "63", name: "Puy-de-Dôme", of: "du Puy-de-Dôme", region: "84", coastal: false,
        bbox: (2.39, 45.29, 3.99, 46.26),
        communes: communes![("63113", "Clermont-Ferrand", 3.087, 45.778)],
    },
    // Provence-Alpes-Côte d'Azur
    Departement {
        code: "13", name: "Bouches-du-Rhône", of: "des Bouches-du-Rhône", region: "93",
        coastal: true, bbox: (4.23, 43.15, 5.81, 43.93),
        communes: communes![
            ("13055", "Marseille", 5.370, 43.297), ("13001", "Aix-en-Provence", 5.447, 43.530),
            ("13004", "Arles", 4.631, 43.677),
        ],
    },
    Departement {
        code: "83", name: "Var", of: "du Var", region: "93", coastal: true,
        bbox: (5.65, 42.98, 6.93, 43.81),
        communes: communes![
            ("83137", "Toulon", 5.930, 43.124), ("83061", "Fréjus", 6.737, 43.433),
        ],
    },
    Departement {
        code: "06", name: "Alpes-Maritimes", of: "des Alpes-Maritimes", region: "93", coastal: true,
        bbox: (6.64, 43.48, 7.72, 44.36),
        communes: communes![
            ("06088", "Nice", 7.262, 43.710), ("06029", "Cannes", 7.017, 43.552),
        ],
    },
    // Nouvelle-Aquitaine
    Departement {
        code: "33", name: "Gironde", of: "de la Gironde", region: "75", coastal: true,
        bbox: (-1.26, 44.19, 0.32, 45.58),
        communes: communes![
            ("33063", "Bordeaux", -0.579, 44.838), ("33009", "Arcachon", -1.168, 44.658),
            ("33243", "Libourne", -0.242, 44.915),
        ],
    },
    Departement {
        code: "17", name: "Charente-Maritime", of: "de la Charente-Maritime", region: "75",
        coastal: true, bbox: (-1.57, 45.09, 0.01, 46.37),
        communes: communes![
            ("17300", "La Rochelle", -1.152, 46.160), ("17299", "Rochefort", -0.963, 45.937),
        ],
    },
    Departement {
        code: "64", name: "Pyrénées-Atlantiques", of: "des Pyrénées-Atlantiques", region: "75",
        coastal: true, bbox: (-1.79, 42.78, 0.03, 43.60),
        communes: communes![
            ("64445", "Pau", -0.370, 43.295), ("64102", "Bayonne", -1.475, 43.493),
        ],
    },
    // Hauts-de-France
    Departement {
        code: "59", name: "Nord", of: "du Nord", region: "32", coastal: true,
        bbox: (2.07, 50.02, 4.23, 51.09),
        communes: communes![
            ("59350", "Lille", 3.063, 50.630), ("59183", "Dunkerque", 2.377, 51.034),
            ("59606", "Valenciennes", 3.523, 50.358),
        ],
    },
    Departement {
        code: "62", name: "Pas-de-Calais", of: "du Pas-de-Calais", region: "32", coastal: true,
        bbox: (1.56, 50.02, 3.19, 51.01),
        communes: communes![
            ("62041", "Arras", 2.781, 50.291), ("62193", "Calais", 1.858, 50.948),
            ("62160", "Boulogne-sur-Mer", 1.614, 50.726),
        ],
    },
    Departement {
        code: "80", name: "Somme", of: "de la Somme", region: "32", coastal: true,
        bbox: (1.38, 49.57, 3.21, 50.37),
        communes: communes![
            ("80021", "Amiens", 2.300, 49.894), ("80001", "Abbeville", 1.835, 50.106),
        ],
    },
    // Normandie
    Departement {
        code: "76", name: "Seine-Maritime", of: "de la Seine-Maritime", region: "28", coastal: true,
        bbox: (0.07, 49.25, 1.80, 50.07),
        communes: communes![
            ("76540", "Rouen", 1.094, 49.443), ("76351", "Le Havre", 0.108, 49.494),
            ("76217", "Dieppe", 1.078, 49.922),
        ],
    },
    Departement {
        code: "14", name: "Calvados", of: "du Calvados", region: "28", coastal: true,
        bbox: (-1.16, 48.75, 0.45, 49.43),
        communes: communes![("14118", "Caen", -0.370, 49.183)],
    },
    Departement {
        code: "50", name: "Manche", of: "de la Manche", region: "28", coastal: true,
        bbox: (-1.95, 48.46, -0.74, 49.73),
        communes: communes![
            ("50129", "Cherbourg-en-Cotentin", -1.626, 49.640), ("50502", "Saint-Lô", -1.091, 49.116),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_departement_belongs_to_a_known_region_and_has_communes() {
        for departement in DEPARTEMENTS {
            assert!(region(departement.region).is_some(), "{}", departement.code);
            assert!(!departement.communes.is_empty(), "{}", departement.code);
            let (west, south, east, north) = departement.bbox;
            assert!(west < east && south < north, "{}", departement.code);
            for commune in departement.communes {
                assert!(
                    commune.code.starts_with(departement.code),
                    "{}",
                    commune.code
                );
                assert!((west..=east).contains(&commune.lon), "{}", commune.name);
                assert!((south..=north).contains(&commune.lat), "{}", commune.name);
            }
        }
        for region in REGIONS {
            assert!(
                departements_of(region.code).next().is_some(),
                "{}",
                region.code
            );
        }
    }

    #[test]
    fn places_give_insee_iris() {
        let finistere = departement("29").expect("Finistère is in the table");
        let mut iri = String::new();
        Place::Commune(finistere, &finistere.communes[0]).push_insee_iri(&mut iri);
        assert_eq!(iri, "http://id.insee.fr/geo/commune/29019");
        iri.clear();
        Place::Region(region("53").expect("Bretagne is in the table")).push_insee_iri(&mut iri);
        assert_eq!(iri, "http://id.insee.fr/geo/region/53");
    }
}
