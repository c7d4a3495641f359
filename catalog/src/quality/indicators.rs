//! The indicator catalogue: every indicator Moisson computes, its dimension, its points,
//! the property it checks, how it is computed, and the French advice shown to producers.
//!
//! This table is the single place where indicators are documented; the web front renders
//! it as is (`GET /api/quality/indicators`). The five MQA dimensions keep the points of
//! the data.europa.eu method (405 in total), so [`super::RecordAssessment::mqa_points`]
//! can be compared with a hand computation; Moisson adds two dimensions of its own
//! (freshness, clarity: 90 points).

use serde::{Deserialize, Serialize};

/// A group of indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Can the dataset be found (keywords, themes, space, time)?
    Findability,
    /// Can the data be reached (links answer, download given)?
    Accessibility,
    /// Can machines use it (formats, vocabularies, DCAT-AP conformity)?
    Interoperability,
    /// May it be reused, and who to ask (licence, access rights, contact, publisher)?
    Reusability,
    /// Context of use (rights, size, dates).
    Contextuality,
    /// Is it up to date with what the producer promised (Moisson's own)?
    Freshness,
    /// Is the description clear and trustworthy (Moisson's own)?
    Clarity,
}

impl Dimension {
    /// Every dimension, in display order.
    pub const ALL: [Dimension; 7] = [
        Self::Findability,
        Self::Accessibility,
        Self::Interoperability,
        Self::Reusability,
        Self::Contextuality,
        Self::Freshness,
        Self::Clarity,
    ];

    /// Returns the stable id (`findability`…).
    pub fn id(self) -> &'static str {
        match self {
            Self::Findability => "findability",
            Self::Accessibility => "accessibility",
            Self::Interoperability => "interoperability",
            Self::Reusability => "reusability",
            Self::Contextuality => "contextuality",
            Self::Freshness => "freshness",
            Self::Clarity => "clarity",
        }
    }

    /// Returns the French label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Findability => "Découvrabilité",
            Self::Accessibility => "Accessibilité",
            Self::Interoperability => "Interopérabilité",
            Self::Reusability => "Réutilisabilité",
            Self::Contextuality => "Contexte",
            Self::Freshness => "Fraîcheur (obsolescence)",
            Self::Clarity => "Clarté",
        }
    }

    /// Returns true for the five dimensions of the data.europa.eu MQA.
    pub fn is_mqa(self) -> bool {
        !matches!(self, Self::Freshness | Self::Clarity)
    }

    /// Returns the maximum points of the dimension (sum of its indicators).
    pub fn max_points(self) -> u32 {
        INDICATORS
            .iter()
            .filter(|i| i.dimension == self)
            .map(|i| i.points)
            .sum()
    }
}

/// What an indicator is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// The dataset (or service) node itself.
    Dataset,
    /// Each distribution: the indicator's value is the share of distributions that pass.
    Distribution,
    /// The dataset compared with the rest of the federated catalogue.
    Catalogue,
}

/// The stable id of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum IndicatorId {
    Keywords,
    Themes,
    Spatial,
    Temporal,
    AccessUrlStatus,
    DownloadUrl,
    DownloadUrlStatus,
    Format,
    MediaType,
    FormatVocabulary,
    NonProprietary,
    MachineReadable,
    DcatApCompliance,
    License,
    LicenseVocabulary,
    AccessRights,
    AccessRightsVocabulary,
    ContactPoint,
    Publisher,
    Rights,
    ByteSize,
    Issued,
    Modified,
    Periodicity,
    UpdateOnSchedule,
    ValidDates,
    MetadataAge,
    TitleQuality,
    DescriptionLength,
    ContactEmail,
    UniqueAcrossSources,
}

impl IndicatorId {
    /// Returns the indicator's row of [`INDICATORS`].
    pub fn indicator(self) -> &'static Indicator {
        INDICATORS
            .iter()
            .find(|i| i.id == self)
            .expect("every IndicatorId has a row in INDICATORS (checked by a test)")
    }

    /// Returns the snake_case id used in JSON and DQV.
    pub fn as_str(self) -> &'static str {
        self.indicator().key
    }
}

/// One indicator: what, why, how many points, how computed.
#[derive(Debug, Serialize)]
pub struct Indicator {
    /// Stable id.
    pub id: IndicatorId,
    /// The id as text (`keywords`…).
    pub key: &'static str,
    /// Dimension it counts in.
    pub dimension: Dimension,
    /// French label.
    pub label: &'static str,
    /// Points it is worth in its dimension.
    pub points: u32,
    /// What it is computed on.
    pub entity: Entity,
    /// Property (or properties) checked, as CURIEs.
    pub property: &'static str,
    /// How the value is computed (English, for maintainers).
    pub computation: &'static str,
    /// What to do when it fails, and why it matters (French, for producers).
    pub advice: &'static str,
    /// True when an ISO 19139 → DCAT-AP mapping can lose the information although the
    /// producer gave it: a failure on a mapped record is then reported as our mapping's
    /// artefact and not scored against the producer.
    pub mapping_sensitive: bool,
    /// Where the indicator comes from (`mqa`, `moisson`).
    pub origin: &'static str,
}

macro_rules! indicator {
    ($id:ident, $key:literal, $label:literal, $dim:ident, $pts:literal, $entity:ident,
     $prop:literal, $how:literal, $advice:literal, $mapping:literal, $origin:literal) => {
        Indicator {
            id: IndicatorId::$id,
            key: $key,
            dimension: Dimension::$dim,
            label: $label,
            points: $pts,
            entity: Entity::$entity,
            property: $prop,
            computation: $how,
            advice: $advice,
            mapping_sensitive: $mapping,
            origin: $origin,
        }
    };
}

/// Advice in the terms of an ISO 19139 producer (the GIS team editing a GeoNetwork or
/// Géo-IDE record), for records Moisson mapped from ISO 19139: the element to fill, not
/// the DCAT property it becomes. `None` when the DCAT advice applies as it is.
pub fn iso_advice(id: IndicatorId) -> Option<&'static str> {
    Some(match id {
        IndicatorId::Keywords => "Ajoutez des mots-clés (gmd:descriptiveKeywords/gmd:MD_Keywords/gmd:keyword) : ils permettent de trouver le jeu de données par la recherche.",
        IndicatorId::Themes => "Ajoutez un mot-clé de thème INSPIRE (gmd:descriptiveKeywords avec le thésaurus « GEMET - INSPIRE themes ») ou une catégorie ISO (gmd:topicCategory) : les portails filtrent par thème.",
        IndicatorId::Spatial => "Indiquez l'emprise géographique (gmd:extent/gmd:EX_Extent : gmd:EX_GeographicBoundingBox, ou gmd:EX_GeographicDescription avec le code INSEE) : c'est le premier filtre des collectivités.",
        IndicatorId::Temporal => "Indiquez la période couverte (gmd:extent/gmd:EX_Extent/gmd:temporalElement) : sans elle, on ne sait pas si les données sont d'actualité.",
        IndicatorId::AccessUrlStatus => "Corrigez l'adresse de la ressource en ligne (gmd:distributionInfo/…/gmd:CI_OnlineResource/gmd:linkage) qui ne répond pas.",
        IndicatorId::DownloadUrl => "Ajoutez une ressource en ligne de téléchargement direct (gmd:CI_OnlineResource avec le protocole WWW:DOWNLOAD-1.0-http--download et l'adresse du fichier).",
        IndicatorId::DownloadUrlStatus => "Corrigez l'adresse de téléchargement (gmd:CI_OnlineResource/gmd:linkage, protocole WWW:DOWNLOAD) qui ne répond pas.",
        IndicatorId::Format => "Indiquez le format de distribution (gmd:distributionFormat/gmd:MD_Format/gmd:name, par exemple « ESRI Shapefile », « GeoPackage »).",
        IndicatorId::MediaType | IndicatorId::FormatVocabulary => "Nommez le format de distribution (gmd:distributionFormat/gmd:MD_Format/gmd:name) par son nom usuel (« GeoPackage », « CSV », « ESRI Shapefile ») plutôt qu'un texte libre.",
        IndicatorId::NonProprietary => "Proposez aussi un format ouvert (gmd:distributionFormat : GeoPackage, GeoJSON, CSV…) ou un service WFS : un format propriétaire impose un logiciel payant.",
        IndicatorId::MachineReadable => "Proposez un format lisible par machine (gmd:distributionFormat : GeoPackage, CSV, ou un service WFS) : un PDF ou une image ne permettent pas de traiter les données.",
        IndicatorId::License | IndicatorId::LicenseVocabulary => "Indiquez la licence dans gmd:resourceConstraints/gmd:MD_LegalConstraints/gmd:otherConstraints, de préférence avec un gmx:Anchor vers son adresse officielle (par exemple la Licence Ouverte d'Etalab).",
        IndicatorId::AccessRights | IndicatorId::AccessRightsVocabulary => "Précisez les conditions d'accès (gmd:resourceConstraints/gmd:MD_LegalConstraints/gmd:accessConstraints et gmd:otherConstraints, par exemple « Pas de restriction d'accès public » de la directive INSPIRE).",
        IndicatorId::ContactPoint | IndicatorId::ContactEmail => "Renseignez un contact de la ressource (gmd:identificationInfo/…/gmd:pointOfContact/gmd:CI_ResponsibleParty avec gmd:role « pointOfContact » et une adresse gmd:electronicMailAddress valide).",
        IndicatorId::Publisher => "Indiquez l'éditeur (gmd:pointOfContact/gmd:CI_ResponsibleParty avec gmd:role « publisher » et gmd:organisationName).",
        IndicatorId::Rights => "Décrivez les droits et mentions obligatoires (gmd:resourceConstraints/gmd:MD_LegalConstraints/gmd:otherConstraints).",
        IndicatorId::ByteSize => "Indiquez la taille du fichier (gmd:distributionInfo/gmd:MD_DigitalTransferOptions/gmd:transferSize, en Mo).",
        IndicatorId::Issued => "Indiquez la date de publication (gmd:citation/gmd:CI_Citation/gmd:date avec gmd:dateType « publication »).",
        IndicatorId::Modified => "Indiquez la date de dernière révision (gmd:citation/gmd:CI_Citation/gmd:date avec gmd:dateType « revision ») : c'est la première chose que regarde un réutilisateur.",
        IndicatorId::Periodicity => "Déclarez la fréquence de mise à jour (gmd:resourceMaintenance/gmd:MD_MaintenanceInformation/gmd:maintenanceAndUpdateFrequency).",
        IndicatorId::UpdateOnSchedule => "Mettez à jour la date de révision (gmd:CI_Citation/gmd:date « revision ») au rythme de la fréquence déclarée (gmd:maintenanceAndUpdateFrequency), ou corrigez cette fréquence.",
        IndicatorId::ValidDates => "Corrigez les dates de la fiche (gmd:CI_Citation/gmd:date, gmd:temporalElement) invalides ou dans le futur.",
        IndicatorId::MetadataAge => "Relisez et mettez à jour la fiche : sa date de métadonnées (gmd:dateStamp) a plus de 3 ans.",
        IndicatorId::TitleQuality => "Donnez un titre explicite en langage courant (gmd:citation/gmd:CI_Citation/gmd:title), pas un nom de fichier ni un titre en majuscules.",
        IndicatorId::DescriptionLength => "Rédigez un résumé d'au moins quelques phrases (gmd:abstract) : contenu, méthode, limites d'usage.",
        IndicatorId::UniqueAcrossSources => "Ce jeu de données est publié par plusieurs catalogues : gardez le même identifiant de ressource (gmd:fileIdentifier, gmd:MD_Identifier) dans chacun pour qu'ils soient reconnus comme une seule fiche.",
        IndicatorId::DcatApCompliance => return None,
    })
}

/// Every indicator, grouped by dimension in display order.
#[rustfmt::skip]
pub static INDICATORS: &[Indicator] = &[
    indicator!(Keywords, "keywords", "Mots-clés", Findability, 30, Dataset, "dcat:keyword",
        "passes when the dataset has at least one non-empty dcat:keyword",
        "Ajoutez des mots-clés (dcat:keyword) : ils permettent de trouver le jeu de données par la recherche.",
        false, "mqa"),
    indicator!(Themes, "themes", "Thèmes", Findability, 30, Dataset, "dcat:theme",
        "passes when the dataset has at least one dcat:theme",
        "Classez le jeu de données dans au moins un thème (dcat:theme, thèmes de l'UE ou Ecosphères) : les portails filtrent par thème.",
        false, "mqa"),
    indicator!(Spatial, "spatial", "Couverture géographique", Findability, 20, Dataset, "dct:spatial",
        "passes when dct:spatial is given (IRI of a territory or a dct:Location)",
        "Indiquez la couverture géographique (dct:spatial, par exemple le code INSEE du territoire) : c'est le premier filtre des collectivités.",
        false, "mqa"),
    indicator!(Temporal, "temporal", "Couverture temporelle", Findability, 20, Dataset, "dct:temporal",
        "passes when dct:temporal is given",
        "Indiquez la période couverte par les données (dct:temporal) : sans elle, on ne sait pas si les données sont d'actualité.",
        false, "mqa"),
    indicator!(AccessUrlStatus, "access_url_status", "Lien d'accès valide", Accessibility, 50, Distribution, "dcat:accessURL",
        "share of distributions whose accessURL answers 2xx or 3xx to HEAD (ranged GET fallback); not evaluated while the link checker has no result",
        "Corrigez le lien d'accès (dcat:accessURL) qui ne répond pas : un lien cassé rend la donnée inaccessible.",
        false, "mqa"),
    indicator!(DownloadUrl, "download_url", "Lien de téléchargement", Accessibility, 20, Distribution, "dcat:downloadURL",
        "share of distributions with a dcat:downloadURL (service distributions are not counted)",
        "Ajoutez un lien de téléchargement direct (dcat:downloadURL) : il permet de récupérer le fichier sans passer par une page web.",
        true, "mqa"),
    indicator!(DownloadUrlStatus, "download_url_status", "Lien de téléchargement valide", Accessibility, 30, Distribution, "dcat:downloadURL",
        "share of given downloadURLs that answer 2xx or 3xx; not evaluated while the link checker has no result",
        "Corrigez le lien de téléchargement (dcat:downloadURL) qui ne répond pas : le fichier ne peut pas être récupéré.",
        false, "mqa"),
    indicator!(Format, "format", "Format", Interoperability, 20, Distribution, "dct:format",
        "share of distributions with a dct:format",
        "Indiquez le format de chaque distribution (dct:format) : l'utilisateur doit savoir s'il peut ouvrir le fichier.",
        false, "mqa"),
    indicator!(MediaType, "media_type", "Type de média", Interoperability, 10, Distribution, "dcat:mediaType",
        "share of distributions with a dcat:mediaType",
        "Indiquez le type de média IANA (dcat:mediaType, par exemple text/csv) : les logiciels s'en servent pour lire le fichier.",
        true, "mqa"),
    indicator!(FormatVocabulary, "format_vocabulary", "Format d'un vocabulaire contrôlé", Interoperability, 10, Distribution, "dct:format, dcat:mediaType",
        "share of distributions whose format is an EU file-type IRI or whose media type is an IANA media-type IRI",
        "Utilisez un format du vocabulaire de l'UE (http://publications.europa.eu/resource/authority/file-type/…) plutôt qu'un texte libre : « Excel » ou « shape » ne sont pas compris par les moissonneurs.",
        true, "mqa"),
    indicator!(NonProprietary, "non_proprietary", "Format ouvert", Interoperability, 20, Distribution, "dct:format, dcat:mediaType",
        "share of distributions with at least one recognised format that is non-proprietary (open specification)",
        "Proposez aussi un format ouvert (CSV, GeoJSON, GeoPackage…) : un format propriétaire impose un logiciel payant.",
        false, "mqa"),
    indicator!(MachineReadable, "machine_readable", "Format lisible par machine", Interoperability, 20, Distribution, "dct:format, dcat:mediaType",
        "share of distributions with at least one recognised machine-readable format",
        "Proposez un format lisible par machine (CSV, JSON, GeoPackage, WFS…) : un PDF ou une image ne permettent pas de traiter les données.",
        false, "mqa"),
    indicator!(DcatApCompliance, "dcat_ap_compliance", "Conformité DCAT-AP", Interoperability, 30, Dataset, "SHACL shapes/",
        "passes when the record graph has no SHACL violation against shapes/ (DCAT-AP 3 core + Moisson profile)",
        "Corrigez les écarts au standard DCAT-AP signalés ci-dessous : les portails nationaux et européens rejettent ou appauvrissent les fiches non conformes.",
        true, "mqa"),
    indicator!(License, "license", "Licence", Reusability, 20, Distribution, "dct:license",
        "share of distributions with a dct:license (a licence on the dataset counts for all its distributions)",
        "Ajoutez une licence (dct:license) : sans licence, la réutilisation est juridiquement incertaine.",
        true, "mqa"),
    indicator!(LicenseVocabulary, "license_vocabulary", "Licence connue", Reusability, 10, Distribution, "dct:license",
        "share of distributions whose licence is a known licence IRI (EU licence table, Etalab, SPDX, Creative Commons, ODC)",
        "Désignez la licence par son adresse officielle (par exemple https://www.etalab.gouv.fr/licence-ouverte-open-licence/) : un texte libre n'est pas reconnu automatiquement.",
        true, "mqa"),
    indicator!(AccessRights, "access_rights", "Conditions d'accès", Reusability, 10, Dataset, "dct:accessRights",
        "passes when dct:accessRights is given and not empty",
        "Précisez les conditions d'accès (dct:accessRights, par exemple PUBLIC) : l'utilisateur doit savoir si la donnée est ouverte.",
        false, "mqa"),
    indicator!(AccessRightsVocabulary, "access_rights_vocabulary", "Conditions d'accès normalisées", Reusability, 5, Dataset, "dct:accessRights",
        "passes when dct:accessRights is an IRI of the EU access-right table",
        "Utilisez le vocabulaire de l'UE pour les conditions d'accès (http://publications.europa.eu/resource/authority/access-right/PUBLIC…).",
        true, "mqa"),
    indicator!(ContactPoint, "contact_point", "Point de contact", Reusability, 20, Dataset, "dcat:contactPoint",
        "passes when dcat:contactPoint is given",
        "Ajoutez un point de contact (dcat:contactPoint) : les réutilisateurs doivent pouvoir poser une question ou signaler une erreur.",
        false, "mqa"),
    indicator!(Publisher, "publisher", "Éditeur", Reusability, 10, Dataset, "dct:publisher",
        "passes when dct:publisher is given",
        "Indiquez l'éditeur (dct:publisher) : c'est lui qui garantit la donnée.",
        false, "mqa"),
    indicator!(Rights, "rights", "Droits", Contextuality, 5, Distribution, "dct:rights",
        "share of distributions with dct:rights",
        "Décrivez les droits attachés à la distribution (dct:rights), par exemple les mentions obligatoires.",
        false, "mqa"),
    indicator!(ByteSize, "byte_size", "Taille du fichier", Contextuality, 5, Distribution, "dcat:byteSize",
        "share of file distributions (service distributions are not counted) with dcat:byteSize",
        "Indiquez la taille des fichiers (dcat:byteSize) : l'utilisateur sait avant de télécharger.",
        true, "mqa"),
    indicator!(Issued, "issued", "Date de publication", Contextuality, 5, Dataset, "dct:issued",
        "passes when dct:issued is given",
        "Indiquez la date de publication (dct:issued).",
        false, "mqa"),
    indicator!(Modified, "modified", "Date de mise à jour", Contextuality, 5, Dataset, "dct:modified",
        "passes when dct:modified is given",
        "Indiquez la date de dernière mise à jour (dct:modified) : c'est la première chose que regarde un réutilisateur.",
        false, "mqa"),
    indicator!(Periodicity, "periodicity", "Fréquence de mise à jour", Freshness, 5, Dataset, "dct:accrualPeriodicity",
        "passes when dct:accrualPeriodicity is given",
        "Déclarez la fréquence de mise à jour (dct:accrualPeriodicity) : elle dit au réutilisateur quand revenir.",
        false, "moisson"),
    indicator!(UpdateOnSchedule, "update_on_schedule", "Mise à jour à temps", Freshness, 20, Dataset, "dct:modified, dct:accrualPeriodicity",
        "passes when dct:modified is no older than 1.5 × the declared period (+ 7 days); not applicable for irregular, unknown or never-updated frequencies",
        "Mettez à jour le jeu de données ou corrigez sa fréquence déclarée : la dernière mise à jour est bien plus ancienne que la fréquence annoncée, le jeu paraît abandonné.",
        false, "moisson"),
    indicator!(ValidDates, "valid_dates", "Dates valides", Freshness, 10, Dataset, "dct:issued, dct:modified, dct:temporal",
        "passes when every date parses (xsd:date, xsd:dateTime or year), none lies in the future, issued ≤ modified (DCAT records only: in ISO 19139 a publication after the last revision is normal) and temporal start ≤ end",
        "Corrigez les dates invalides ou dans le futur : une date erronée fausse les tris et les filtres par date.",
        false, "moisson"),
    indicator!(MetadataAge, "metadata_age", "Fiche récente", Freshness, 5, Dataset, "dct:modified of the dcat:CatalogRecord (ISO gmd:dateStamp), else of the dataset",
        "passes when the metadata record itself (its catalogue record's dct:modified, ISO gmd:dateStamp) was updated less than 3 years ago; without a catalogue record date, the dataset's modified (or issued) date",
        "Relisez et mettez à jour la fiche : elle n'a pas été modifiée depuis plus de 3 ans.",
        false, "moisson"),
    indicator!(TitleQuality, "title_quality", "Titre explicite", Clarity, 15, Dataset, "dct:title",
        "passes when the title exists, has at least 10 characters, is not a file name (no spaces, underscores or an extension) and is not all capitals",
        "Donnez un titre explicite en langage courant (dct:title), pas un nom de fichier ni un titre en majuscules : c'est ce que lit l'utilisateur dans les résultats.",
        false, "moisson"),
    indicator!(DescriptionLength, "description_length", "Description suffisante", Clarity, 15, Dataset, "dct:description",
        "passes when the description, without markup, has more than 100 characters (the data.gouv.fr threshold)",
        "Rédigez une description d'au moins quelques phrases (dct:description) : contenu, méthode, limites d'usage.",
        false, "moisson"),
    indicator!(ContactEmail, "contact_email", "Adresse de contact valide", Clarity, 10, Dataset, "dcat:contactPoint/vcard:hasEmail",
        "passes when a contact point has a syntactically valid e-mail that is not a placeholder (example.com, xxx@…); not applicable without contact point",
        "Indiquez une vraie adresse e-mail de contact (vcard:hasEmail) : l'adresse actuelle est absente, invalide ou fictive.",
        false, "moisson"),
    indicator!(UniqueAcrossSources, "unique_across_sources", "Pas de doublon", Clarity, 10, Catalogue, "dct:identifier, record IRI",
        "passes when no other source holds a record with the same IRI or the same dct:identifier",
        "Ce jeu de données est publié par plusieurs catalogues : désignez la fiche de référence (même identifiant, lien dct:source) pour éviter les doublons.",
        false, "moisson"),
];

/// Returns the total points of all indicators (405 MQA + Moisson's own).
pub fn total_points() -> u32 {
    INDICATORS.iter().map(|i| i.points).sum()
}

/// Returns the MQA points (405) of the five MQA dimensions.
pub fn mqa_total_points() -> u32 {
    INDICATORS
        .iter()
        .filter(|i| i.dimension.is_mqa())
        .map(|i| i.points)
        .sum()
}

/// Returns the MQA rating for `points` out of 405 (French labels).
pub fn mqa_rating(points: f64) -> &'static str {
    super::score::Band::of_points(points).word()
}

/// Returns the rating of a 0–100 score derived from MQA points
/// ([`super::score::out_of_100`]): always the band of those points.
pub fn rating(score: f64) -> &'static str {
    super::score::Band::of_score(score).word()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqa_dimensions_keep_their_405_points() {
        assert_eq!(Dimension::Findability.max_points(), 100);
        assert_eq!(Dimension::Accessibility.max_points(), 100);
        assert_eq!(Dimension::Interoperability.max_points(), 110);
        assert_eq!(Dimension::Reusability.max_points(), 75);
        assert_eq!(Dimension::Contextuality.max_points(), 20);
        assert_eq!(mqa_total_points(), 405);
        assert_eq!(total_points(), 495);
    }

    #[test]
    fn every_indicator_id_has_one_row_with_label_and_advice() {
        let mut keys = std::collections::HashSet::new();
        for row in INDICATORS {
            assert_eq!(row.id.indicator().key, row.key);
            assert!(keys.insert(row.key), "duplicate {}", row.key);
            assert!(!row.label.is_empty() && !row.advice.is_empty());
        }
        assert_eq!(INDICATORS.len(), 31);
    }

    #[test]
    fn rating_follows_mqa_thresholds() {
        assert_eq!(mqa_rating(360.0), "excellent");
        assert_eq!(mqa_rating(221.0), "bon");
        assert_eq!(mqa_rating(130.0), "suffisant");
        assert_eq!(mqa_rating(10.0), "insuffisant");
        assert_eq!(rating(100.0), "excellent");
    }
}
