//! « Ouvrir dans QGIS »: QGIS layer definition files (`.qlr`) for the OGC web services a
//! dataset's distributions point at (WMS, WMTS, WFS, OGC API Features).
//!
//! `GET /jeux-de-donnees/{id}/qgis.qlr` gives the layers of one dataset; `GET
//! /recherche.qlr?…` (same parameters as `/recherche`) those of a whole search, at most
//! [`MAX_SEARCH_LAYERS`] layers read from at most [`MAX_SEARCH_DATASETS`] results.
//!
//! A service is recognised from the distribution's URL (`service=WMS`, a path ending in
//! `/wms`, `/collections/…`), its format or media type (`OGC:WMS`, the EU file type
//! `WMS_SRVC`), or what it conforms to. The layer name comes from the URL (`layers=`,
//! `typename=`, the collection id), else from the distribution's title (GeoNetwork's
//! `gmd:name` of the online resource), else from the dataset's title. Every value is
//! escaped for XML; values of WMS data sources are encoded, and quoted values of WFS data
//! sources backslash-escaped, the way QGIS itself writes them.

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use moisson_catalog::DatasetView;
use std::fmt::Write as _;

use super::components::Params;
use super::sitemap::xml_escape;
use super::{blocking, UiError};
use crate::app::AppState;

/// Most layers in the file of a search.
pub(crate) const MAX_SEARCH_LAYERS: usize = 200;
/// Most search results read for the file of a search.
const MAX_SEARCH_DATASETS: usize = 1000;
/// Most layers taken from one dataset.
const MAX_DATASET_LAYERS: usize = 20;

/// The kind of OGC service a distribution points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceKind {
    Wms,
    Wmts,
    Wfs,
    OgcApiFeatures,
}

impl ServiceKind {
    fn label(self) -> &'static str {
        match self {
            Self::Wms => "WMS",
            Self::Wmts => "WMTS",
            Self::Wfs => "WFS",
            Self::OgcApiFeatures => "OGC API Features",
        }
    }

    /// The QGIS data provider.
    fn provider(self) -> &'static str {
        match self {
            Self::Wms | Self::Wmts => "wms",
            Self::Wfs => "WFS",
            Self::OgcApiFeatures => "OAPIF",
        }
    }

    fn layer_type(self) -> &'static str {
        match self {
            Self::Wms | Self::Wmts => "raster",
            Self::Wfs | Self::OgcApiFeatures => "vector",
        }
    }

    /// Reads a format, media type or specification (`OGC:WMS`, `…/file-type/WFS_SRVC`,
    /// `http://www.opengeospatial.org/standards/wmts`, `…/ogcapi-features-1/…`).
    fn from_text(text: &str) -> Option<Self> {
        let t = text.to_ascii_lowercase();
        if t.contains("ogcapi-features") || t.contains("ogc api - features") || t.contains("oapif")
        {
            Some(Self::OgcApiFeatures)
        } else if t.contains("wmts") {
            Some(Self::Wmts)
        } else if t.contains("wms") {
            Some(Self::Wms)
        } else if t.contains("wfs") {
            Some(Self::Wfs)
        } else {
            None
        }
    }
}

/// One layer of a `.qlr` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OgcLayer {
    pub(crate) kind: ServiceKind,
    /// The service's URL, without the request parameters QGIS adds itself.
    pub(crate) url: String,
    /// The layer, feature type or collection name the service knows.
    pub(crate) name: String,
    /// The name shown in QGIS's layer tree.
    pub(crate) title: String,
    /// WMTS only: the style and tile matrix set named in the URL, if any.
    style: Option<String>,
    tile_matrix_set: Option<String>,
}

impl OgcLayer {
    /// The service's name (`WMS`, `WFS`…).
    pub(crate) fn kind_label(&self) -> &'static str {
        self.kind.label()
    }

    /// The data source string QGIS's provider reads.
    pub(crate) fn datasource(&self) -> String {
        match self.kind {
            ServiceKind::Wms => format!(
                "contextualWMSLegend=0&crs=EPSG:3857&format=image/png&layers={}&styles&url={}",
                percent_encode(&self.name),
                percent_encode(&self.url)
            ),
            ServiceKind::Wmts => {
                let capabilities = with_query(&self.url, "SERVICE=WMTS&REQUEST=GetCapabilities");
                format!(
                    "contextualWMSLegend=0&crs=EPSG:3857&format=image/png&layers={}&styles={}&tileMatrixSet={}&url={}",
                    percent_encode(&self.name),
                    percent_encode(self.style.as_deref().unwrap_or("default")),
                    // The Web Mercator set of the Géoplateforme, when the URL names none.
                    percent_encode(self.tile_matrix_set.as_deref().unwrap_or("PM")),
                    percent_encode(&capabilities)
                )
            }
            ServiceKind::Wfs => format!(
                "pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' typename='{}' url='{}' version='auto'",
                quote(&self.name),
                quote(&self.url)
            ),
            ServiceKind::OgcApiFeatures => format!(
                "pagingEnabled='default' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' typename='{}' url='{}'",
                quote(&self.name),
                quote(&self.url)
            ),
        }
    }
}

/// Returns the OGC service layers of `view`'s distributions, without duplicates.
pub(crate) fn layers_of(view: &DatasetView) -> Vec<OgcLayer> {
    let dataset_title = view.title.as_deref().unwrap_or("Jeu de données sans titre");
    let mut out: Vec<OgcLayer> = Vec::new();
    for dist in &view.distributions {
        let mut texts = dist
            .format
            .iter()
            .chain(&dist.media_type)
            .chain(&dist.conforms_to);
        let declared = texts.find_map(|t| ServiceKind::from_text(t));
        for url in dist.access_urls.iter().chain(&dist.download_urls) {
            let Some(layer) = layer_at(url, declared, dist.title.as_deref(), dataset_title) else {
                continue;
            };
            if !out
                .iter()
                .any(|l| l.kind == layer.kind && l.url == layer.url && l.name == layer.name)
            {
                out.push(layer);
            }
            if out.len() >= MAX_DATASET_LAYERS {
                return out;
            }
        }
    }
    out
}

/// The layer a distribution URL gives, when it is an OGC service.
fn layer_at(
    raw_url: &str,
    declared: Option<ServiceKind>,
    distribution_title: Option<&str>,
    dataset_title: &str,
) -> Option<OgcLayer> {
    let mut url = url::Url::parse(raw_url.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    let param = |names: &[&str]| {
        url.query_pairs()
            .find(|(k, v)| names.iter().any(|n| k.eq_ignore_ascii_case(n)) && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    };
    let path = url.path().to_ascii_lowercase();
    let last_segment = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let collection = collection_of(&url);
    let kind = param(&["service"])
        .and_then(|s| ServiceKind::from_text(&s))
        .or(declared)
        .or(match last_segment {
            "wms" => Some(ServiceKind::Wms),
            "wmts" => Some(ServiceKind::Wmts),
            "wfs" => Some(ServiceKind::Wfs),
            _ => None,
        })
        .or(collection.as_ref().map(|_| ServiceKind::OgcApiFeatures))?;
    let from_url = match kind {
        ServiceKind::Wms => param(&["layers", "layer"]),
        ServiceKind::Wmts => param(&["layer", "layers"]),
        ServiceKind::Wfs => param(&["typename", "typenames", "layers"]),
        ServiceKind::OgcApiFeatures => collection.as_ref().map(|(_, id)| id.clone()),
    };
    let distribution_title = distribution_title.map(str::trim).filter(|t| !t.is_empty());
    let name = from_url
        .or_else(|| distribution_title.map(str::to_owned))
        .unwrap_or_else(|| dataset_title.to_owned());
    let title = match distribution_title {
        Some(t) if t != dataset_title => format!("{dataset_title} — {t}"),
        _ => format!("{dataset_title} ({})", kind.label()),
    };
    let (style, tile_matrix_set) = match kind {
        ServiceKind::Wmts => (param(&["style"]), param(&["tilematrixset"])),
        _ => (None, None),
    };
    let service_url = match (&kind, &collection) {
        (ServiceKind::OgcApiFeatures, Some((landing, _))) => landing.clone(),
        _ => {
            strip_request_parameters(&mut url);
            url.to_string()
        }
    };
    Some(OgcLayer {
        kind,
        url: service_url,
        name,
        title,
        style,
        tile_matrix_set,
    })
}

/// Splits `…/collections/{id}[/items…]` into the API's landing URL and the collection id.
fn collection_of(url: &url::Url) -> Option<(String, String)> {
    let path = url.path();
    let at = path.to_ascii_lowercase().find("/collections/")?;
    let id = path[at + "/collections/".len()..].split('/').next()?;
    let id = url::form_urlencoded::parse(format!("x={id}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.trim().is_empty())?;
    let mut landing = url.clone();
    landing.set_path(&path[..at]);
    landing.set_query(None);
    landing.set_fragment(None);
    Some((landing.as_str().trim_end_matches('/').to_owned(), id))
}

/// Request parameters QGIS adds itself, removed from a service URL.
const REQUEST_PARAMETERS: &[&str] = &[
    "service",
    "request",
    "version",
    "layers",
    "layer",
    "typename",
    "typenames",
    "styles",
    "style",
    "format",
    "crs",
    "srs",
    "bbox",
    "width",
    "height",
    "outputformat",
    "tilematrixset",
    "tilematrix",
    "tilerow",
    "tilecol",
    "transparent",
];

fn strip_request_parameters(url: &mut url::Url) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !REQUEST_PARAMETERS.iter().any(|p| k.eq_ignore_ascii_case(p)))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

fn with_query(url: &str, query: &str) -> String {
    if url.contains('?') {
        format!("{url}&{query}")
    } else {
        format!("{url}?{query}")
    }
}

/// Encodes a value of a WMS data source as QGIS's own `QgsDataSourceUri::encodedUri` does:
/// the separators `&`, `=` and `#`, spaces, control and non-ASCII bytes become `%XX`;
/// everything else, `%` included, stays as it is (QGIS hands the value back unchanged).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_graphic() && !b"&=#".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Escapes a value for QGIS's `key='value'` data sources.
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "\\'")
}

/// A `.qlr` document with `layers` in one group named `group`.
pub(crate) fn layer_definition(group: &str, layers: &[OgcLayer], id_prefix: &str) -> String {
    let ids: Vec<String> = (0..layers.len())
        .map(|i| format!("moisson_{}_{i}", id_safe(id_prefix)))
        .collect();
    let mut out = String::from(
        "<!DOCTYPE qgis-layer-definition>\n<qlr>\n\
         <layer-tree-group expanded=\"1\" checked=\"Qt::Checked\" name=\"\">\n<customproperties/>\n",
    );
    let _ = writeln!(
        out,
        "<layer-tree-group expanded=\"1\" checked=\"Qt::Checked\" name=\"{}\">\n<customproperties/>",
        xml_escape(group)
    );
    for (layer, id) in layers.iter().zip(&ids) {
        let _ = writeln!(
            out,
            "<layer-tree-layer id=\"{id}\" name=\"{}\" source=\"{}\" providerKey=\"{}\" checked=\"Qt::Checked\" expanded=\"1\"><customproperties/></layer-tree-layer>",
            xml_escape(&layer.title),
            xml_escape(&layer.datasource()),
            layer.kind.provider()
        );
    }
    out.push_str("</layer-tree-group>\n</layer-tree-group>\n<maplayers>\n");
    for (layer, id) in layers.iter().zip(&ids) {
        let _ = writeln!(
            out,
            "<maplayer type=\"{}\" hasScaleBasedVisibilityFlag=\"0\" minScale=\"1e+08\" maxScale=\"0\">\
             <id>{id}</id><datasource>{}</datasource><layername>{}</layername>\
             <provider encoding=\"UTF-8\">{}</provider></maplayer>",
            layer.kind.layer_type(),
            xml_escape(&layer.datasource()),
            xml_escape(&layer.title),
            layer.kind.provider()
        );
    }
    out.push_str("</maplayers>\n</qlr>\n");
    out
}

fn id_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(60)
        .collect()
}

fn qlr_response(body: String, file_name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/x-qgis-layer-definition; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.qlr\"", id_safe(file_name)),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /jeux-de-donnees/{id}/qgis.qlr`.
pub(crate) async fn dataset_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    if id.len() > 200 {
        return Err(UiError::bad_request());
    }
    let file_id = id.clone();
    let body = blocking(move || {
        let view = state.store.dataset(&id)?.ok_or_else(UiError::not_found)?;
        let layers = layers_of(&view);
        if layers.is_empty() {
            return Err(UiError::not_found());
        }
        let group = view.title.as_deref().unwrap_or("Jeu de données sans titre");
        Ok(layer_definition(group, &layers, &id))
    })
    .await?;
    Ok(qlr_response(body, &format!("moisson-{file_id}")))
}

/// `GET /recherche.qlr?…`: the layers of a search's results, newest pages first in the
/// search's order.
pub(crate) async fn search_file(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let params = Params::parse(raw.as_deref()).without_key("page");
    let mut request = crate::api::datasets::parse_search_query(Some(&params.query()))?;
    if !request.filters.contains_key("format") {
        // Only results announcing a service format are read.
        request.filters.insert(
            "format".into(),
            vec!["wms".into(), "wmts".into(), "wfs".into()],
        );
    }
    request.page_size = moisson_search::query::MAX_PAGE_SIZE;
    let group = match params.get("q") {
        Some(q) => format!(
            "Moisson — recherche « {} »",
            super::components::truncate(q, 80)
        ),
        None => "Moisson — recherche".to_owned(),
    };
    let body = blocking(move || {
        let mut layers: Vec<OgcLayer> = Vec::new();
        let mut read = 0;
        'pages: for page in 1.. {
            request.page = page;
            let response = state.index.search(&request)?;
            if response.results.is_empty() {
                break;
            }
            for summary in &response.results {
                read += 1;
                if let Some(view) = state.store.dataset(&summary.id)? {
                    for layer in layers_of(&view) {
                        if !layers.contains(&layer) {
                            layers.push(layer);
                        }
                        if layers.len() >= MAX_SEARCH_LAYERS {
                            break 'pages;
                        }
                    }
                }
                if read >= MAX_SEARCH_DATASETS {
                    break 'pages;
                }
            }
        }
        if layers.is_empty() {
            return Err(UiError::not_found());
        }
        Ok(layer_definition(&group, &layers, "recherche"))
    })
    .await?;
    Ok(qlr_response(body, "moisson-recherche"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::DistributionView;

    fn view(distributions: Vec<DistributionView>) -> DatasetView {
        DatasetView {
            id: "zh-29-0123456789ab".into(),
            title: Some("Zones humides du Finistère".into()),
            distributions,
            ..DatasetView::default()
        }
    }

    fn dist(url: &str, format: Option<&str>, title: Option<&str>) -> DistributionView {
        DistributionView {
            access_urls: vec![url.into()],
            format: format.map(Into::into),
            title: title.map(Into::into),
            ..DistributionView::default()
        }
    }

    #[test]
    fn wms_from_a_getcapabilities_url_takes_the_distribution_title_as_layer() {
        let layers = layers_of(&view(vec![dist(
            "https://geo.example.fr/geoserver/ows?SERVICE=WMS&REQUEST=GetCapabilities&map=/srv/zh.map",
            Some("OGC:WMS"),
            Some("ddtm29:zones_humides"),
        )]));
        assert_eq!(layers.len(), 1);
        let l = &layers[0];
        assert_eq!(l.kind, ServiceKind::Wms);
        assert_eq!(
            l.url,
            "https://geo.example.fr/geoserver/ows?map=%2Fsrv%2Fzh.map"
        );
        assert_eq!(l.name, "ddtm29:zones_humides");
        assert_eq!(
            l.datasource(),
            "contextualWMSLegend=0&crs=EPSG:3857&format=image/png&layers=ddtm29:zones_humides&styles&url=https://geo.example.fr/geoserver/ows?map%3D%2Fsrv%2Fzh.map"
        );
    }

    #[test]
    fn layer_names_come_from_the_url_first_then_the_dataset_title() {
        let layers = layers_of(&view(vec![
            dist(
                "https://geo.example.fr/wms?service=WMS&layers=ZH_29",
                None,
                Some("Visualisation"),
            ),
            dist("https://geo.example.fr/mapserv/wfs", None, None),
            dist("https://data.example.fr/fichier.csv", Some("CSV"), None),
        ]));
        assert_eq!(layers.len(), 2, "{layers:?}");
        assert_eq!(layers[0].name, "ZH_29");
        assert_eq!(layers[0].url, "https://geo.example.fr/wms");
        assert_eq!(layers[1].kind, ServiceKind::Wfs);
        assert_eq!(layers[1].name, "Zones humides du Finistère");
        assert_eq!(
            layers[1].datasource(),
            "pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' typename='Zones humides du Finistère' url='https://geo.example.fr/mapserv/wfs' version='auto'"
        );
    }

    #[test]
    fn services_are_recognised_by_format_or_conformance() {
        let mut by_format = dist(
            "https://geo.example.fr/geoserver/ows",
            Some("http://publications.europa.eu/resource/authority/file-type/WFS_SRVC"),
            Some("it's \\ odd"),
        );
        by_format
            .access_urls
            .push("https://geo.example.fr/geoserver/ows?typeName=a:b".into());
        let mut by_spec = dist("https://tiles.example.fr/wmts-endpoint", None, None);
        by_spec.conforms_to = vec!["http://www.opengeospatial.org/standards/wmts".into()];
        let layers = layers_of(&view(vec![by_format, by_spec]));
        assert_eq!(layers.len(), 3, "{layers:?}");
        assert!(layers[0].datasource().contains(r"typename='it\'s \\ odd'"));
        assert!(layers[1].datasource().contains("typename='a:b'"));
        assert_eq!(layers[2].kind, ServiceKind::Wmts);
        assert!(layers[2].datasource().contains("tileMatrixSet=PM&url=https://tiles.example.fr/wmts-endpoint?SERVICE%3DWMTS%26REQUEST%3DGetCapabilities"));
    }

    #[test]
    fn ogc_api_features_collections_split_into_landing_page_and_collection() {
        let layers = layers_of(&view(vec![dist(
            "https://api.example.fr/ogc/collections/zones_humides/items?f=json",
            None,
            None,
        )]));
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0].kind, ServiceKind::OgcApiFeatures);
        assert_eq!(layers[0].url, "https://api.example.fr/ogc");
        assert_eq!(layers[0].name, "zones_humides");
    }

    #[test]
    fn the_file_escapes_every_value() {
        let layers = layers_of(&view(vec![dist(
            "https://geo.example.fr/wms?layers=a%26b%22%3C",
            None,
            Some("x\"<y>&z"),
        )]));
        let text = layer_definition("g<\"&>", &layers, "id/1");
        assert!(!text.contains("x\"<"), "{text}");
        assert!(text.contains("name=\"g&lt;&quot;&amp;&gt;\""), "{text}");
        assert!(text.contains("layers=a%26b&quot;&lt;&amp;styles"), "{text}");
        assert!(text.contains("<id>moisson_id_1_0</id>"), "{text}");
    }
}
