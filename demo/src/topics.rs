//! What the demo records talk about: environmental topics with their French titles,
//! keywords and sentences, and the controlled vocabularies a DCAT-AP record points to
//! (EU data themes, frequencies and file types, IANA media types, licences).
//!
//! All vocabulary IRIs are the real ones; hosts of the records themselves are not.

macro_rules! eu_authority {
    ($table:literal, $code:literal) => {
        concat!(
            "http://publications.europa.eu/resource/authority/",
            $table,
            "/",
            $code
        )
    };
}

pub(super) const THEME_AGRI: &str = eu_authority!("data-theme", "AGRI");
pub(super) const THEME_ECON: &str = eu_authority!("data-theme", "ECON");
pub(super) const THEME_ENER: &str = eu_authority!("data-theme", "ENER");
pub(super) const THEME_ENVI: &str = eu_authority!("data-theme", "ENVI");
pub(super) const THEME_GOVE: &str = eu_authority!("data-theme", "GOVE");
pub(super) const THEME_HEAL: &str = eu_authority!("data-theme", "HEAL");
pub(super) const THEME_REGI: &str = eu_authority!("data-theme", "REGI");
pub(super) const THEME_SOCI: &str = eu_authority!("data-theme", "SOCI");
pub(super) const THEME_TECH: &str = eu_authority!("data-theme", "TECH");
pub(super) const THEME_TRAN: &str = eu_authority!("data-theme", "TRAN");

pub(super) const LANGUAGE_FRA: &str = eu_authority!("language", "FRA");
pub(super) const LANGUAGE_ENG: &str = eu_authority!("language", "ENG");
pub(super) const ACCESS_PUBLIC: &str = eu_authority!("access-right", "PUBLIC");
pub(super) const THEME_TAXONOMY: &str =
    "http://publications.europa.eu/resource/authority/data-theme";
pub(super) const INSPIRE_INTEROPERABILITY: &str = "http://data.europa.eu/eli/reg/2010/1089/oj";
pub(super) const EPSG_LAMBERT_93: &str = "http://www.opengis.net/def/crs/EPSG/0/2154";
pub(super) const OGC_WMS: &str = "http://www.opengeospatial.org/standards/wms";
pub(super) const OGC_WFS: &str = "http://www.opengeospatial.org/standards/wfs";

pub(super) const FREQUENCY_WEEKLY: &str = eu_authority!("frequency", "WEEKLY");
pub(super) const FREQUENCY_MONTHLY: &str = eu_authority!("frequency", "MONTHLY");
pub(super) const FREQUENCY_IRREGULAR: &str = eu_authority!("frequency", "IRREG");

/// An update frequency (EU frequency table) and how a French description says it.
#[derive(Debug)]
pub(super) struct Frequency {
    pub(super) iri: &'static str,
    pub(super) label: &'static str,
    /// Days between updates, 0 when the frequency promises no regular update.
    pub(super) period_days: i64,
    pub(super) weight: u32,
}

#[rustfmt::skip]
pub(super) const FREQUENCIES: &[Frequency] = &[
    Frequency { iri: eu_authority!("frequency", "ANNUAL"), label: "annuelle", period_days: 365, weight: 34 },
    Frequency { iri: FREQUENCY_IRREGULAR, label: "irrégulière", period_days: 0, weight: 20 },
    Frequency { iri: eu_authority!("frequency", "NEVER"), label: "sans mise à jour prévue", period_days: 0, weight: 9 },
    Frequency { iri: eu_authority!("frequency", "UNKNOWN"), label: "à une fréquence inconnue", period_days: 0, weight: 6 },
    Frequency { iri: eu_authority!("frequency", "QUARTERLY"), label: "trimestrielle", period_days: 92, weight: 6 },
    Frequency { iri: FREQUENCY_MONTHLY, label: "mensuelle", period_days: 31, weight: 6 },
    Frequency { iri: eu_authority!("frequency", "BIENNIAL"), label: "tous les deux ans", period_days: 730, weight: 5 },
    Frequency { iri: eu_authority!("frequency", "TRIENNIAL"), label: "tous les trois ans", period_days: 1095, weight: 5 },
    Frequency { iri: FREQUENCY_WEEKLY, label: "hebdomadaire", period_days: 7, weight: 3 },
    Frequency { iri: eu_authority!("frequency", "DAILY"), label: "quotidienne", period_days: 1, weight: 2 },
];

/// A licence IRI and how a French description names it.
#[derive(Debug)]
pub(super) struct Licence {
    pub(super) iri: &'static str,
    pub(super) label: &'static str,
    pub(super) weight: u32,
}

pub(super) use moisson_catalog::licences::ETALAB_2_0;

#[rustfmt::skip]
pub(super) const LICENCES: &[Licence] = &[
    Licence { iri: ETALAB_2_0, label: "la Licence Ouverte / Open Licence version 2.0", weight: 68 },
    Licence { iri: "https://spdx.org/licenses/etalab-2.0", label: "la Licence Ouverte 2.0 (Etalab)", weight: 7 },
    Licence { iri: eu_authority!("licence", "CC_BY_4_0"), label: "la licence CC BY 4.0", weight: 12 },
    Licence { iri: eu_authority!("licence", "ODBL"), label: "la licence ODbL", weight: 9 },
    Licence { iri: "https://opendatacommons.org/licenses/odbl/1-0/", label: "la licence ODbL 1.0", weight: 4 },
];

/// A distribution format: a downloadable file or an OGC service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileFormat {
    Shapefile,
    GeoJson,
    Csv,
    GeoPackage,
    Xlsx,
    Json,
    Pdf,
    Wms,
    Wfs,
}

impl FileFormat {
    /// The EU file-type IRI.
    pub(super) const fn iri(self) -> &'static str {
        match self {
            Self::Shapefile => eu_authority!("file-type", "SHP"),
            Self::GeoJson => eu_authority!("file-type", "GEOJSON"),
            Self::Csv => eu_authority!("file-type", "CSV"),
            Self::GeoPackage => eu_authority!("file-type", "GPKG"),
            Self::Xlsx => eu_authority!("file-type", "XLSX"),
            Self::Json => eu_authority!("file-type", "JSON"),
            Self::Pdf => eu_authority!("file-type", "PDF"),
            Self::Wms => eu_authority!("file-type", "WMS_SRVC"),
            Self::Wfs => eu_authority!("file-type", "WFS_SRVC"),
        }
    }

    /// What a producer types in a free-text format field.
    pub(super) const fn free_text(self) -> &'static str {
        match self {
            Self::Shapefile => "Shapefile",
            Self::GeoJson => "GeoJSON",
            Self::Csv => "csv",
            Self::GeoPackage => "GeoPackage",
            Self::Xlsx => "Excel",
            Self::Json => "JSON",
            Self::Pdf => "PDF",
            Self::Wms => "OGC:WMS",
            Self::Wfs => "OGC:WFS",
        }
    }

    /// The IANA media type IRI, for files.
    pub(super) const fn media_type(self) -> Option<&'static str> {
        macro_rules! iana {
            ($media_type:literal) => {
                Some(concat!(
                    "https://www.iana.org/assignments/media-types/",
                    $media_type
                ))
            };
        }
        match self {
            Self::Shapefile => iana!("application/zip"),
            Self::GeoJson => iana!("application/geo+json"),
            Self::Csv => iana!("text/csv"),
            Self::GeoPackage => iana!("application/geopackage+sqlite3"),
            Self::Xlsx => {
                iana!("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            }
            Self::Json => iana!("application/json"),
            Self::Pdf => iana!("application/pdf"),
            Self::Wms | Self::Wfs => None,
        }
    }

    /// The file extension, for files.
    pub(super) const fn extension(self) -> Option<&'static str> {
        match self {
            Self::Shapefile => Some("zip"),
            Self::GeoJson => Some("geojson"),
            Self::Csv => Some("csv"),
            Self::GeoPackage => Some("gpkg"),
            Self::Xlsx => Some("xlsx"),
            Self::Json => Some("json"),
            Self::Pdf => Some("pdf"),
            Self::Wms | Self::Wfs => None,
        }
    }

    /// The French title of a distribution in this format.
    pub(super) const fn title(self) -> &'static str {
        match self {
            Self::Shapefile => "Téléchargement (Shapefile zippé)",
            Self::GeoJson => "Export GeoJSON",
            Self::Csv => "Fichier CSV",
            Self::GeoPackage => "Téléchargement (GeoPackage)",
            Self::Xlsx => "Tableau Excel",
            Self::Json => "Export JSON",
            Self::Pdf => "Rapport de présentation (PDF)",
            Self::Wms => "Service de visualisation WMS",
            Self::Wfs => "Service de téléchargement WFS",
        }
    }

    /// The OGC service name, for services.
    pub(super) const fn service(self) -> Option<&'static str> {
        match self {
            Self::Wms => Some("WMS"),
            Self::Wfs => Some("WFS"),
            _ => None,
        }
    }
}

/// An environmental topic the records of a source are drawn from.
#[derive(Debug)]
pub(super) struct Topic {
    /// Short code used in layer and file names ("ZH" for zones humides).
    pub(super) code: &'static str,
    /// Verb of the opening sentence: "Ce jeu de données {verb} « titre » du Finistère."
    pub(super) verb: &'static str,
    pub(super) titles: &'static [&'static str],
    /// English title, for the multilingual records.
    pub(super) english: &'static str,
    pub(super) keywords: &'static [&'static str],
    pub(super) themes: &'static [&'static str],
    pub(super) sentences: &'static [&'static str],
    pub(super) formats: &'static [FileFormat],
    /// Only about coastal territories.
    pub(super) coastal: bool,
}

use FileFormat::{Csv, GeoJson, GeoPackage, Json, Pdf, Shapefile, Wfs, Wms, Xlsx};

pub(super) const TOPICS: &[Topic] = &[
    Topic {
        code: "ZH",
        verb: "cartographie",
        titles: &[
            "Zones humides effectives",
            "Inventaire des zones humides",
            "Milieux potentiellement humides",
            "Tourbières et marais",
            "Prélocalisation des zones humides",
        ],
        english: "Wetlands inventory",
        keywords: &["zones humides", "milieux humides", "tourbières", "marais", "SAGE", "eau"],
        themes: &[THEME_ENVI, THEME_AGRI],
        sentences: &[
            "Les zones humides sont délimitées selon les critères de l'arrêté du 24 juin 2008 modifié (sol et végétation).",
            "L'inventaire a été réalisé par les commissions locales de l'eau dans le cadre des SAGE.",
            "La prélocalisation est issue d'une modélisation et doit être confirmée sur le terrain.",
        ],
        formats: &[Shapefile, GeoPackage, Wms, Wfs],
        coastal: false,
    },
    Topic {
        code: "CE",
        verb: "localise",
        titles: &[
            "Cours d'eau au titre de la police de l'eau",
            "Stations de mesure de la qualité des cours d'eau",
            "Obstacles à l'écoulement des cours d'eau",
            "Masses d'eau superficielles",
            "Zones vulnérables aux nitrates",
        ],
        english: "Rivers and water quality",
        keywords: &["cours d'eau", "hydrographie", "qualité de l'eau", "police de l'eau", "SDAGE", "DCE", "nitrates"],
        themes: &[THEME_ENVI, THEME_HEAL],
        sentences: &[
            "Les données sont issues du programme de surveillance prévu par la directive-cadre sur l'eau (DCE).",
            "Il permet de suivre l'état écologique et chimique des masses d'eau au titre du SDAGE.",
            "La cartographie des cours d'eau a été établie en concertation avec les acteurs locaux (instruction du 3 juin 2015).",
            "Les résultats d'analyses sont exprimés en mg/l ; les seuils réglementaires figurent dans le guide associé.",
        ],
        formats: &[Shapefile, Csv, GeoJson, Wms, Wfs],
        coastal: false,
    },
    Topic {
        code: "PPRI",
        verb: "représente",
        titles: &[
            "PPRI – zonage réglementaire",
            "Atlas des zones inondables",
            "Territoires à risque important d'inondation (TRI)",
            "Repères de crues",
            "Enveloppes approchées des inondations potentielles (EAIP)",
        ],
        english: "Flood risk prevention plan zoning",
        keywords: &["inondation", "PPRI", "zones inondables", "risques naturels", "directive inondation", "aléa", "TRI"],
        themes: &[THEME_ENVI, THEME_GOVE],
        sentences: &[
            "Il est établi en application de la directive 2007/60/CE dite « directive inondation ».",
            "Le zonage réglementaire du PPRI est opposable aux tiers et annexé au PLU en tant que servitude d'utilité publique.",
            "Les hauteurs d'eau sont modélisées pour une crue de période de retour centennale.",
        ],
        formats: &[Shapefile, GeoPackage, Pdf, Wms, Wfs],
        coastal: false,
    },
    Topic {
        code: "PCAET",
        verb: "fournit",
        titles: &[
            "PCAET – diagnostic des émissions de gaz à effet de serre",
            "Bilan carbone du territoire",
            "Émissions de GES par secteur d'activité",
            "Plan climat-air-énergie territorial (PCAET) – programme d'actions",
        ],
        english: "Greenhouse gas emissions inventory",
        keywords: &["climat", "PCAET", "gaz à effet de serre", "bilan carbone", "émissions de GES", "transition énergétique"],
        themes: &[THEME_ENER, THEME_ENVI],
        sentences: &[
            "Les émissions sont exprimées en tonnes équivalent CO2 (teqCO2) selon la méthode de l'observatoire régional.",
            "Il constitue une donnée d'entrée du diagnostic du plan climat-air-énergie territorial (PCAET).",
            "Les émissions indirectes liées à la consommation d'électricité sont comptabilisées séparément.",
        ],
        formats: &[Csv, Xlsx, Pdf, Json],
        coastal: false,
    },
    Topic {
        code: "CONSO",
        verb: "agrège",
        titles: &[
            "Consommations d'énergie par commune et par secteur",
            "Consommation annuelle d'électricité et de gaz",
            "Précarité énergétique des ménages",
        ],
        english: "Energy consumption by municipality",
        keywords: &["énergie", "consommation d'énergie", "électricité", "gaz", "précarité énergétique"],
        themes: &[THEME_ENER, THEME_ECON],
        sentences: &[
            "Les consommations sont exprimées en MWh et ventilées entre résidentiel, tertiaire, industrie et agriculture.",
            "Les données sont issues des gestionnaires de réseaux de distribution (article 179 de la loi de transition énergétique).",
            "Les valeurs soumises au secret statistique sont masquées.",
        ],
        formats: &[Csv, Xlsx, Json],
        coastal: false,
    },
    Topic {
        code: "DPE",
        verb: "agrège",
        titles: &[
            "Diagnostics de performance énergétique (DPE) des logements",
            "Logements classés F et G (passoires thermiques)",
            "Rénovation énergétique des logements – aides MaPrimeRénov'",
            "Rénovation énergétique des bâtiments tertiaires publics",
        ],
        english: "Energy performance certificates of dwellings",
        keywords: &["rénovation énergétique", "DPE", "logement", "bâtiment", "efficacité énergétique", "MaPrimeRénov'"],
        themes: &[THEME_ENER, THEME_SOCI],
        sentences: &[
            "Les étiquettes énergie et climat suivent la méthode 3CL-DPE 2021.",
            "Les données sont anonymisées et agrégées à l'IRIS lorsque l'effectif est inférieur à 11 logements.",
            "Il sert au repérage des passoires thermiques dans le cadre des opérations programmées d'amélioration de l'habitat.",
        ],
        formats: &[Csv, Xlsx, Json, GeoJson],
        coastal: false,
    },
    Topic {
        code: "ZNIEFF",
        verb: "délimite",
        titles: &["ZNIEFF de type 1", "ZNIEFF de type 2", "Zones naturelles d'intérêt écologique, faunistique et floristique"],
        english: "Natural areas of ecological interest (ZNIEFF)",
        keywords: &["ZNIEFF", "biodiversité", "faune", "flore", "habitats naturels", "inventaire"],
        themes: &[THEME_ENVI],
        sentences: &[
            "Les périmètres ont été validés par le Conseil scientifique régional du patrimoine naturel (CSRPN).",
            "Il alimente l'Inventaire national du patrimoine naturel (INPN).",
            "Les contours sont numérisés au 1/25 000 sur fond SCAN 25® de l'IGN.",
        ],
        formats: &[Shapefile, GeoPackage, Wms, Wfs],
        coastal: false,
    },
    Topic {
        code: "N2000",
        verb: "délimite",
        titles: &[
            "Sites Natura 2000 – zones de protection spéciale (ZPS)",
            "Sites Natura 2000 – zones spéciales de conservation (ZSC)",
            "Documents d'objectifs des sites Natura 2000",
        ],
        english: "Natura 2000 sites",
        keywords: &["Natura 2000", "espaces protégés", "directive Habitats", "directive Oiseaux", "biodiversité"],
        themes: &[THEME_ENVI],
        sentences: &[
            "Les périmètres sont ceux transmis à la Commission européenne.",
            "Il est établi au titre des directives 92/43/CEE « Habitats » et 2009/147/CE « Oiseaux ».",
            "Le document d'objectifs (DOCOB) de chaque site est disponible auprès de l'opérateur Natura 2000.",
        ],
        formats: &[Shapefile, GeoJson, Pdf, Wms],
        coastal: false,
    },
    Topic {
        code: "TVB",
        verb: "représente",
        titles: &[
            "Trame verte et bleue – réservoirs de biodiversité",
            "Trame verte et bleue – corridors écologiques",
            "Inventaire des haies bocagères",
        ],
        english: "Green and blue infrastructure",
        keywords: &["trame verte et bleue", "continuités écologiques", "corridors", "bocage", "SRADDET"],
        themes: &[THEME_ENVI, THEME_REGI],
        sentences: &[
            "Il est issu du schéma régional de cohérence écologique intégré au SRADDET.",
            "Les corridors sont identifiés au 1/100 000 et doivent être précisés dans les documents d'urbanisme.",
            "Le linéaire de haies est mis à jour à partir des orthophotographies les plus récentes.",
        ],
        formats: &[Shapefile, GeoPackage, Wms, Wfs],
        coastal: false,
    },
    Topic {
        code: "AIR",
        verb: "fournit",
        titles: &[
            "Stations de mesure de la qualité de l'air",
            "Concentrations moyennes annuelles de NO2",
            "Indice ATMO de la qualité de l'air",
            "Épisodes de pollution aux particules fines",
        ],
        english: "Air quality monitoring",
        keywords: &["qualité de l'air", "pollution", "particules fines", "NO2", "ozone", "santé"],
        themes: &[THEME_ENVI, THEME_HEAL],
        sentences: &[
            "Les concentrations de NO2, PM10 et PM2,5 sont agrégées en moyennes annuelles.",
            "Les mesures sont produites par l'association agréée de surveillance de la qualité de l'air (AASQA).",
            "Les valeurs limites de référence sont celles de la directive 2008/50/CE.",
        ],
        formats: &[Csv, Json, GeoJson, Wms],
        coastal: false,
    },
    Topic {
        code: "BRUIT",
        verb: "présente",
        titles: &[
            "Cartes de bruit stratégiques",
            "Classement sonore des infrastructures de transport terrestre",
            "Plan de prévention du bruit dans l'environnement (PPBE)",
        ],
        english: "Strategic noise maps",
        keywords: &["bruit", "nuisances sonores", "transports", "infrastructures routières", "PPBE"],
        themes: &[THEME_TRAN, THEME_HEAL, THEME_ENVI],
        sentences: &[
            "Les cartes de bruit sont établies en application de la directive 2002/49/CE.",
            "Les niveaux sonores sont exprimés en Lden et Ln (dB(A)).",
            "Le classement sonore est annexé aux plans locaux d'urbanisme.",
        ],
        formats: &[Shapefile, Pdf, Wms],
        coastal: false,
    },
    Topic {
        code: "SSP",
        verb: "recense",
        titles: &[
            "Sites et sols pollués",
            "Secteurs d'information sur les sols (SIS)",
            "Anciens sites industriels et activités de service",
        ],
        english: "Polluted sites and soils",
        keywords: &["sites pollués", "sols pollués", "SIS", "friches industrielles", "pollution des sols"],
        themes: &[THEME_ENVI, THEME_HEAL],
        sentences: &[
            "Les secteurs d'information sur les sols sont arrêtés par le préfet après consultation des communes.",
            "Les fiches détaillées sont consultables sur le portail Géorisques.",
            "Les coordonnées sont celles du centroïde du site.",
        ],
        formats: &[Csv, Shapefile, GeoJson, Pdf],
        coastal: false,
    },
    Topic {
        code: "ICPE",
        verb: "localise",
        titles: &[
            "Installations classées pour la protection de l'environnement (ICPE)",
            "Établissements Seveso seuil haut",
            "Plans de prévention des risques technologiques (PPRT)",
            "Canalisations de transport de matières dangereuses",
        ],
        english: "Classified industrial facilities and technological risks",
        keywords: &["ICPE", "installations classées", "risques technologiques", "Seveso", "PPRT", "prévention des risques"],
        themes: &[THEME_ENVI, THEME_GOVE, THEME_TECH],
        sentences: &[
            "Les informations proviennent de la base nationale des installations classées.",
            "Les périmètres d'exposition aux risques sont annexés aux documents d'urbanisme.",
            "Le régime (autorisation, enregistrement, déclaration) est précisé pour chaque installation.",
        ],
        formats: &[Csv, Shapefile, Wfs, Pdf],
        coastal: false,
    },
    Topic {
        code: "ENR",
        verb: "recense",
        titles: &[
            "Parcs éoliens terrestres",
            "Installations photovoltaïques au sol",
            "Potentiel solaire des toitures",
            "Installations de production d'énergie renouvelable",
            "Zones d'accélération des énergies renouvelables",
        ],
        english: "Renewable energy installations (wind, solar)",
        keywords: &["énergies renouvelables", "éolien", "photovoltaïque", "solaire", "transition énergétique"],
        themes: &[THEME_ENER, THEME_ENVI],
        sentences: &[
            "La puissance installée est exprimée en MW.",
            "Les projets en instruction ne sont pas diffusés.",
            "Les zones d'accélération sont définies en application de la loi du 10 mars 2023.",
        ],
        formats: &[Shapefile, Csv, GeoJson, Wms, Wfs],
        coastal: false,
    },
    Topic {
        code: "PLU",
        verb: "décrit",
        titles: &[
            "Plan local d'urbanisme (PLU) – zonage",
            "Documents d'urbanisme en vigueur",
            "Servitudes d'utilité publique",
            "Schéma de cohérence territoriale (SCoT) – périmètres",
        ],
        english: "Local land-use plan zoning",
        keywords: &["urbanisme", "PLU", "SCoT", "aménagement", "servitudes", "zonage"],
        themes: &[THEME_REGI, THEME_GOVE],
        sentences: &[
            "Les documents sont publiés au standard CNIG sur le Géoportail de l'urbanisme.",
            "Le zonage distingue les zones urbaines (U), à urbaniser (AU), agricoles (A) et naturelles (N).",
            "Seules les procédures approuvées sont diffusées.",
        ],
        formats: &[Shapefile, GeoPackage, Pdf, Wfs],
        coastal: false,
    },
    Topic {
        code: "OCS",
        verb: "décrit",
        titles: &[
            "Occupation du sol à grande échelle",
            "Consommation d'espaces naturels, agricoles et forestiers",
            "Artificialisation des sols",
        ],
        english: "Land cover and land take",
        keywords: &["occupation du sol", "artificialisation", "ZAN", "espaces naturels", "foncier"],
        themes: &[THEME_REGI, THEME_ENVI],
        sentences: &[
            "Il permet de suivre la trajectoire « zéro artificialisation nette » (ZAN).",
            "La consommation d'espace est calculée à partir des fichiers fonciers.",
            "La nomenclature comporte quatre niveaux de couverture et d'usage du sol.",
        ],
        formats: &[Shapefile, GeoPackage, Csv, Wms],
        coastal: false,
    },
    Topic {
        code: "FORET",
        verb: "décrit",
        titles: &["Forêts publiques", "Peuplements forestiers", "Massifs forestiers exposés au risque incendie"],
        english: "Forests",
        keywords: &["forêt", "sylviculture", "bois", "incendies de forêt", "espaces boisés"],
        themes: &[THEME_AGRI, THEME_ENVI],
        sentences: &[
            "Les surfaces sont exprimées en hectares.",
            "Le périmètre des forêts publiques est fourni par l'Office national des forêts.",
            "Les types de peuplement suivent la nomenclature de l'inventaire forestier national.",
        ],
        formats: &[Shapefile, Csv, Wms],
        coastal: false,
    },
    Topic {
        code: "AGRI",
        verb: "décrit",
        titles: &[
            "Registre parcellaire graphique (RPG)",
            "Surfaces en agriculture biologique",
            "Zones agricoles protégées",
            "Plan d'épandage des effluents d'élevage",
        ],
        english: "Agricultural land",
        keywords: &["agriculture", "RPG", "agriculture biologique", "espaces agricoles", "PAC"],
        themes: &[THEME_AGRI],
        sentences: &[
            "Il est dérivé des déclarations PAC anonymisées.",
            "Les surfaces sont exprimées en hectares.",
            "Les îlots de moins de 10 ares ne sont pas représentés.",
        ],
        formats: &[Shapefile, Csv, GeoPackage],
        coastal: false,
    },
    Topic {
        code: "LITTORAL",
        verb: "représente",
        titles: &[
            "Évolution du trait de côte",
            "Indicateur national de l'érosion côtière",
            "Domaine public maritime",
            "Zones exposées à la submersion marine",
        ],
        english: "Coastline change",
        keywords: &["littoral", "trait de côte", "érosion", "submersion marine", "mer"],
        themes: &[THEME_ENVI, THEME_REGI],
        sentences: &[
            "Les positions historiques du trait de côte sont issues de photographies aériennes (1950 à aujourd'hui).",
            "Le taux d'évolution est exprimé en mètres par an.",
            "La limite du domaine public maritime naturel résulte des procédures de délimitation.",
        ],
        formats: &[Shapefile, GeoJson, Wms],
        coastal: true,
    },
    Topic {
        code: "ABC",
        verb: "présente",
        titles: &[
            "Atlas de la biodiversité communale (ABC)",
            "Observations naturalistes communales",
            "Espèces protégées observées",
        ],
        english: "Municipal biodiversity atlas",
        keywords: &["biodiversité", "faune", "flore", "atlas de la biodiversité communale", "sciences participatives"],
        themes: &[THEME_ENVI],
        sentences: &[
            "Les observations sont validées par les naturalistes du réseau régional.",
            "Les données sensibles sont diffusées à la maille communale.",
            "L'atlas a été réalisé avec le soutien de l'Office français de la biodiversité.",
        ],
        formats: &[Csv, GeoJson, Pdf],
        coastal: false,
    },
];

/// Sentences any record's description may end with.
pub(super) const GENERIC_SENTENCES: &[&str] = &[
    "Système de coordonnées : RGF93 / Lambert-93 (EPSG:2154).",
    "Échelle de saisie : 1/25 000.",
    "Généalogie : numérisation à partir de la BD TOPO® et des orthophotographies de l'IGN.",
    "Donnée produite dans le cadre de la mission de connaissance territoriale de l'État.",
    "Champ \"CODE_ZONE\" : identifiant unique de la zone.",
    "Les géométries ont été contrôlées (topologie, doublons) avant diffusion.",
];

/// Keywords any record may add.
pub(super) const GENERIC_KEYWORDS: &[&str] = &[
    "environnement",
    "données ouvertes",
    "INSPIRE",
    "Lambert-93",
    "donnée de référence",
];

/// What a hurried producer writes as a description.
pub(super) const SHORT_DESCRIPTIONS: &[&str] = &[
    "Couche SIG.",
    "voir PDF",
    "A compléter",
    "Données brutes.",
    "Export de la base",
    ".",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_complete() {
        for topic in TOPICS {
            assert!(!topic.titles.is_empty(), "{}", topic.code);
            assert!(topic.keywords.len() >= 5, "{}", topic.code);
            assert!(!topic.themes.is_empty(), "{}", topic.code);
            assert!(!topic.sentences.is_empty(), "{}", topic.code);
            assert!(
                topic
                    .formats
                    .iter()
                    .any(|format| format.extension().is_some()),
                "{}",
                topic.code
            );
            for theme in topic.themes {
                assert!(theme.starts_with(THEME_TAXONOMY), "{theme}");
            }
        }
    }

    #[test]
    fn files_have_media_types_and_services_do_not() {
        for format in [
            Shapefile, GeoJson, Csv, GeoPackage, Xlsx, Json, Pdf, Wms, Wfs,
        ] {
            assert_eq!(format.media_type().is_some(), format.extension().is_some());
            assert_eq!(format.service().is_some(), format.extension().is_none());
            assert!(format
                .iri()
                .starts_with("http://publications.europa.eu/resource/authority/file-type/"));
        }
    }
}
