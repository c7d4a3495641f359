//! « Ouvrir dans QGIS »: layer definition files of one dataset and of a whole search,
//! parsed as QGIS reads them (the `maplayer` entries and their data sources).

use moisson_catalog::dataset_id;

use super::{get, harvested, parse_xml, site, Element, SERVICES_IRI};

/// The map layers of a `.qlr` file: (provider, layer name, data source), after checking
/// the file's shape: a layer tree whose entries name the map layers by id.
fn map_layers(qlr: &str) -> Vec<(String, String, String)> {
    assert!(qlr.starts_with("<!DOCTYPE qgis-layer-definition>"), "{qlr}");
    let elements = parse_xml(qlr);
    assert_eq!(elements[0].name(), "qlr");
    let child = |layer: &[Element], i: usize, name: &str| -> String {
        let depth = layer[i].path.len();
        layer[i + 1..]
            .iter()
            .take_while(|e| e.path.len() > depth)
            .find(|e| e.path.len() == depth + 1 && e.name() == name)
            .map(|e| e.text.clone())
            .unwrap_or_else(|| panic!("maplayer without {name}"))
    };
    let mut layers = Vec::new();
    let mut ids = Vec::new();
    for (i, e) in elements.iter().enumerate() {
        if e.path == ["qlr", "maplayers", "maplayer"] {
            ids.push(child(&elements, i, "id"));
            layers.push((
                child(&elements, i, "provider"),
                child(&elements, i, "layername"),
                child(&elements, i, "datasource"),
            ));
        }
    }
    let tree: Vec<&Element> = elements
        .iter()
        .filter(|e| e.name() == "layer-tree-layer")
        .collect();
    assert_eq!(tree.len(), layers.len());
    for (entry, ((provider, _, source), id)) in tree.iter().zip(layers.iter().zip(&ids)) {
        assert_eq!(entry.attribute("id"), Some(id.as_str()));
        assert_eq!(entry.attribute("providerKey"), Some(provider.as_str()));
        assert_eq!(entry.attribute("source"), Some(source.as_str()));
    }
    layers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_with_ogc_services_opens_in_qgis() {
    let sandbox = harvested().await;
    let app = site(&sandbox);
    let id = dataset_id(SERVICES_IRI);
    let (_, _, page) = get(&app, &format!("/jeux-de-donnees/{id}")).await;
    assert!(page.contains("Ouvrir dans QGIS"), "{page}");
    assert!(page.contains(&format!("href=\"/jeux-de-donnees/{id}/qgis.qlr\"")));
    let (status, content_type, qlr) = get(&app, &format!("/jeux-de-donnees/{id}/qgis.qlr")).await;
    assert_eq!(status, 200, "{qlr}");
    assert!(
        content_type.starts_with("application/x-qgis-layer-definition"),
        "{content_type}"
    );
    let mut layers = map_layers(&qlr);
    layers.sort();
    assert_eq!(
        layers,
        vec![
            (
                "WFS".to_owned(),
                "Zones humides du Finistère (services) (WFS)".to_owned(),
                "pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' typename='Zones humides du Finistère (services)' url='https://geo.example.fr/geoserver/wfs' version='auto'".to_owned(),
            ),
            (
                "wms".to_owned(),
                "Zones humides du Finistère (services) — ddtm29:zones_humides".to_owned(),
                "contextualWMSLegend=0&crs=EPSG:3857&format=image/png&layers=ddtm29:zones_humides&styles&url=https://geo.example.fr/geoserver/ows".to_owned(),
            ),
        ]
    );
    // A dataset with downloads only has neither the link nor the file.
    let plain = dataset_id("https://ddt.example.org/jdd/3");
    let (_, _, page) = get(&app, &format!("/jeux-de-donnees/{plain}")).await;
    assert!(!page.contains("Ouvrir dans QGIS"));
    let (status, _, _) = get(&app, &format!("/jeux-de-donnees/{plain}/qgis.qlr")).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_opens_all_its_layers_in_qgis() {
    let sandbox = harvested().await;
    let app = site(&sandbox);
    let (_, _, page) = get(&app, "/recherche?q=zones+humides").await;
    assert!(
        page.contains("Ouvrir toutes les couches dans QGIS"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/recherche.qlr?q=zones+humides\""),
        "{page}"
    );
    let (status, _, qlr) = get(&app, "/recherche.qlr?q=zones+humides").await;
    assert_eq!(status, 200, "{qlr}");
    let layers = map_layers(&qlr);
    assert_eq!(layers.len(), 2, "{layers:?}");
    assert!(layers.len() <= 200);
    assert!(layers
        .iter()
        .any(|l| l.0 == "wms" && l.2.contains("layers=ddtm29:zones_humides")));
    assert!(layers
        .iter()
        .any(|l| l.0 == "WFS" && l.2.contains("url='https://geo.example.fr/geoserver/wfs'")));
    // A search without any service: no file.
    let (status, _, _) = get(&app, "/recherche.qlr?q=zzzyyyxxx").await;
    assert_eq!(status, 404);
}

/// Loads the dataset's file in QGIS itself when PyQGIS is installed (`apt-get install
/// python3-qgis qgis-providers`, for Debian's `/usr/bin/python3`), else says why it is
/// skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qgis_itself_reads_the_layer_file() {
    let Some(python) = ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import qgis.core"])
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        println!("skipped: no python3 with PyQGIS (apt-get install python3-qgis qgis-providers)");
        return;
    };
    let sandbox = harvested().await;
    let id = dataset_id(SERVICES_IRI);
    let (_, _, qlr) = get(&site(&sandbox), &format!("/jeux-de-donnees/{id}/qgis.qlr")).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("couches.qlr");
    std::fs::write(&path, qlr).expect("write");
    let script = "import json, sys\n\
from qgis.core import QgsApplication, QgsProject, QgsLayerDefinition, QgsProviderRegistry\n\
app = QgsApplication([], False)\n\
app.initQgis()\n\
project = QgsProject.instance()\n\
ok, error = QgsLayerDefinition.loadLayerDefinition(sys.argv[1], project, project.layerTreeRoot())\n\
print('ok' if ok else 'failed: ' + error)\n\
registry = QgsProviderRegistry.instance()\n\
for layer in project.mapLayers().values(): print(json.dumps([layer.providerType(), layer.name(), layer.source(), {k: str(v) for k, v in registry.decodeUri(layer.providerType(), layer.source()).items()}]))\n";
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&path)
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // QGIS keeps both layers (unreachable services, so not rendered) and decodes the WMS
    // data source into the service URL and layer name we meant.
    let layers: Vec<serde_json::Value> = lines
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(layers.len(), 2, "{stdout}");
    let wms = layers
        .iter()
        .find(|l| l[0] == "wms")
        .expect("the WMS layer");
    assert_eq!(
        wms[3]["url"], "https://geo.example.fr/geoserver/ows",
        "{wms}"
    );
    assert_eq!(wms[3]["layers"], "ddtm29:zones_humides", "{wms}");
    let wfs = layers
        .iter()
        .find(|l| l[0] == "WFS")
        .expect("the WFS layer");
    assert!(
        wfs[2]
            .as_str()
            .is_some_and(|s| s.contains("typename='Zones humides du Finistère (services)'")),
        "{wfs}"
    );
}
