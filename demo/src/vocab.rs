//! The classes, properties and datatypes the demo documents use, as [`Name`]s.
//!
//! The demo generator stays self-contained (std only), so it keeps its own short list
//! instead of reaching for `catalog::vocab`.

use super::serializer::{Name, Ns};

macro_rules! names {
    ($($constant:ident = $ns:ident : $local:literal;)*) => {
        $(pub(super) const $constant: Name = Name::new(Ns::$ns, $local);)*
    };
}

names! {
    XSD_DATE = Xsd:"date";
    XSD_INTEGER = Xsd:"integer";
    XSD_NON_NEGATIVE_INTEGER = Xsd:"nonNegativeInteger";
    GSP_WKT_LITERAL = Gsp:"wktLiteral";

    DCAT_CATALOG = Dcat:"Catalog";
    DCAT_DATASET = Dcat:"Dataset";
    DCAT_DISTRIBUTION = Dcat:"Distribution";
    DCAT_DATA_SERVICE = Dcat:"DataService";
    DCAT_DATASET_LINK = Dcat:"dataset";
    DCAT_SERVICE_LINK = Dcat:"service";
    DCAT_DISTRIBUTION_LINK = Dcat:"distribution";
    DCAT_KEYWORD = Dcat:"keyword";
    DCAT_THEME = Dcat:"theme";
    DCAT_THEME_TAXONOMY = Dcat:"themeTaxonomy";
    DCAT_CONTACT_POINT = Dcat:"contactPoint";
    DCAT_LANDING_PAGE = Dcat:"landingPage";
    DCAT_ACCESS_URL = Dcat:"accessURL";
    DCAT_DOWNLOAD_URL = Dcat:"downloadURL";
    DCAT_MEDIA_TYPE = Dcat:"mediaType";
    DCAT_BYTE_SIZE = Dcat:"byteSize";
    DCAT_BBOX = Dcat:"bbox";
    DCAT_START_DATE = Dcat:"startDate";
    DCAT_END_DATE = Dcat:"endDate";
    DCAT_ENDPOINT_URL = Dcat:"endpointURL";
    DCAT_ENDPOINT_DESCRIPTION = Dcat:"endpointDescription";
    DCAT_SERVES_DATASET = Dcat:"servesDataset";

    DCATAP_APPLICABLE_LEGISLATION = Dcatap:"applicableLegislation";
    DCATAP_HVD_CATEGORY = Dcatap:"hvdCategory";

    DCT_TITLE = Dct:"title";
    DCT_DESCRIPTION = Dct:"description";
    DCT_IDENTIFIER = Dct:"identifier";
    DCT_PUBLISHER = Dct:"publisher";
    DCT_SPATIAL = Dct:"spatial";
    DCT_TEMPORAL = Dct:"temporal";
    DCT_ISSUED = Dct:"issued";
    DCT_MODIFIED = Dct:"modified";
    DCT_ACCRUAL_PERIODICITY = Dct:"accrualPeriodicity";
    DCT_LANGUAGE = Dct:"language";
    DCT_ACCESS_RIGHTS = Dct:"accessRights";
    DCT_CONFORMS_TO = Dct:"conformsTo";
    DCT_FORMAT = Dct:"format";
    DCT_LICENSE = Dct:"license";
    DCT_LOCATION = Dct:"Location";
    DCT_PERIOD_OF_TIME = Dct:"PeriodOfTime";

    FOAF_AGENT = Foaf:"Agent";
    FOAF_ORGANIZATION = Foaf:"Organization";
    FOAF_NAME = Foaf:"name";
    FOAF_HOMEPAGE = Foaf:"homepage";

    VCARD_KIND = Vcard:"Kind";
    VCARD_ORGANIZATION = Vcard:"Organization";
    VCARD_FN = Vcard:"fn";
    VCARD_HAS_EMAIL = Vcard:"hasEmail";

    HYDRA_COLLECTION = Hydra:"Collection";
    HYDRA_PARTIAL_COLLECTION_VIEW = Hydra:"PartialCollectionView";
    HYDRA_TOTAL_ITEMS = Hydra:"totalItems";
    HYDRA_VIEW = Hydra:"view";
    HYDRA_FIRST = Hydra:"first";
    HYDRA_LAST = Hydra:"last";
    HYDRA_NEXT = Hydra:"next";
    HYDRA_PREVIOUS = Hydra:"previous";
}
