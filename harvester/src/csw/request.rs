//! Building CSW 2.0.2 `GetRecords` requests: POST XML, or GET KVP when the configured URL
//! is itself a `GetRecords` KVP request.
//!
//! A page is named by a *page key*: the GET URL for KVP sources, or the endpoint URL
//! followed by `#startPosition=N` for POST sources. The key is what the job records as the
//! page's URL, and the request can be rebuilt from it.

use crate::source::{CswOutputSchema, Source};

/// Records asked for per page.
pub const PAGE_SIZE: u64 = 50;

const CSW_NS: &str = "http://www.opengis.net/cat/csw/2.0.2";
const GMD_NS: &str = "http://www.isotc211.org/2005/gmd";
const DCAT_NS: &str = "http://www.w3.org/ns/dcat#";

/// How a request is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// GET this URL.
    Get(String),
    /// POST this XML body to the URL.
    Post(String, String),
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The page key (see the module documentation).
    pub key: String,
    /// How to send it.
    pub method: Method,
}

impl PageRequest {
    /// Describes the request for error messages: the URL, and the body for POST.
    pub fn describe(&self) -> String {
        match &self.method {
            Method::Get(url) => format!("GET {url}"),
            Method::Post(url, body) => format!("POST {url} with {}", compact(body)),
        }
    }
}

fn compact(body: &str) -> String {
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How the source's constraint is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// An OGC filter in XML (`<ogc:Filter>…`).
    Filter(String),
    /// OGC CQL text.
    Cql(String),
}

impl Constraint {
    /// Reads a configured constraint: XML when it starts with `<`, CQL text otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            None
        } else if t.starts_with('<') {
            Some(Self::Filter(t.to_owned()))
        } else {
            Some(Self::Cql(t.to_owned()))
        }
    }
}

/// Returns true when the source URL is a KVP `GetRecords` request (then pages are GET).
pub fn uses_kvp(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.query_pairs()
            .any(|(k, v)| k.eq_ignore_ascii_case("request") && v.eq_ignore_ascii_case("GetRecords"))
    })
}

fn schema_uri(schema: CswOutputSchema) -> &'static str {
    match schema {
        CswOutputSchema::Iso19139 => GMD_NS,
        CswOutputSchema::Dcat => DCAT_NS,
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Builds the request of the page starting at `start` (1-based). `sort` adds a sort on
/// the identifier, for stable paging where the server allows it.
pub fn page_request(source: &Source, start: u64, sort: bool) -> PageRequest {
    let constraint = source.csw_constraint.as_deref().and_then(Constraint::parse);
    if uses_kvp(&source.url) {
        let url = kvp_url(
            &source.url,
            source.csw_output_schema,
            constraint.as_ref(),
            start,
            sort,
        );
        return PageRequest {
            key: url.clone(),
            method: Method::Get(url),
        };
    }
    let body = post_body(source.csw_output_schema, constraint.as_ref(), start, sort);
    let mut endpoint = source.url.clone();
    if let Some(i) = endpoint.find('#') {
        endpoint.truncate(i);
    }
    PageRequest {
        key: format!("{endpoint}#startPosition={start}"),
        method: Method::Post(endpoint, body),
    }
}

/// Returns the start position named by a page key, if any.
pub fn start_of_key(key: &str) -> Option<u64> {
    let at = key.to_ascii_lowercase().rfind("startposition=")?;
    let digits: String = key[at + "startposition=".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn kvp_url(
    base: &str,
    schema: CswOutputSchema,
    constraint: Option<&Constraint>,
    start: u64,
    sort: bool,
) -> String {
    let Ok(mut url) = url::Url::parse(base) else {
        return base.to_owned();
    };
    let ours: Vec<(&str, String)> = {
        let mut v = vec![
            ("service", "CSW".to_owned()),
            ("version", "2.0.2".to_owned()),
            ("request", "GetRecords".to_owned()),
            ("resultType", "results".to_owned()),
            ("elementSetName", "full".to_owned()),
            ("outputSchema", schema_uri(schema).to_owned()),
            (
                "typeNames",
                match schema {
                    CswOutputSchema::Iso19139 => "gmd:MD_Metadata".to_owned(),
                    CswOutputSchema::Dcat => "csw:Record".to_owned(),
                },
            ),
            (
                "namespace",
                format!("xmlns(gmd={GMD_NS}),xmlns(csw={CSW_NS})"),
            ),
            ("startPosition", start.to_string()),
            ("maxRecords", PAGE_SIZE.to_string()),
        ];
        match constraint {
            Some(Constraint::Cql(cql)) => {
                v.push(("constraintLanguage", "CQL_TEXT".to_owned()));
                v.push(("constraint_language_version", "1.1.0".to_owned()));
                v.push(("constraint", cql.clone()));
            }
            Some(Constraint::Filter(xml)) => {
                v.push(("constraintLanguage", "FILTER".to_owned()));
                v.push(("constraint_language_version", "1.1.0".to_owned()));
                v.push(("constraint", xml.clone()));
            }
            None => {}
        }
        if sort {
            v.push(("sortBy", "Identifier:A".to_owned()));
        }
        v
    };
    // Keep the configured parameters (in their order) except the ones paging owns; add
    // ours that are missing.
    let owned = ["startposition", "maxrecords"];
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !owned.contains(&k.to_ascii_lowercase().as_str()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut pairs = url.query_pairs_mut();
    pairs.clear();
    for (k, v) in &kept {
        pairs.append_pair(k, v);
    }
    for (k, v) in &ours {
        let present = kept.iter().any(|(kk, _)| kk.eq_ignore_ascii_case(k));
        if !present || owned.contains(&k.to_ascii_lowercase().as_str()) {
            pairs.append_pair(k, v);
        }
    }
    drop(pairs);
    url.to_string()
}

fn post_body(
    schema: CswOutputSchema,
    constraint: Option<&Constraint>,
    start: u64,
    sort: bool,
) -> String {
    let type_names = match schema {
        CswOutputSchema::Iso19139 => "gmd:MD_Metadata",
        CswOutputSchema::Dcat => "csw:Record",
    };
    let constraint = match constraint {
        Some(Constraint::Filter(xml)) => {
            let filter = if xml.contains("Filter") {
                xml.clone()
            } else {
                format!("<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\">{xml}</ogc:Filter>")
            };
            format!("\n      <csw:Constraint version=\"1.1.0\">{filter}</csw:Constraint>")
        }
        Some(Constraint::Cql(cql)) => format!(
            "\n      <csw:Constraint version=\"1.1.0\"><csw:CqlText>{}</csw:CqlText></csw:Constraint>",
            xml_escape(cql)
        ),
        None => String::new(),
    };
    let sort_by = if sort {
        "\n    <ogc:SortBy><ogc:SortProperty><ogc:PropertyName>apiso:Identifier</ogc:PropertyName><ogc:SortOrder>ASC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>"
    } else {
        ""
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecords xmlns:csw="{CSW_NS}" xmlns:ogc="http://www.opengis.net/ogc" xmlns:gmd="{GMD_NS}" xmlns:apiso="http://www.opengis.net/cat/csw/apiso/1.0" service="CSW" version="2.0.2" resultType="results" outputSchema="{schema}" startPosition="{start}" maxRecords="{PAGE_SIZE}">
  <csw:Query typeNames="{type_names}">
    <csw:ElementSetName>full</csw:ElementSetName>{constraint}{sort_by}
  </csw:Query>
</csw:GetRecords>
"#,
        schema = schema_uri(schema),
    )
}

/// The `GetRecordById` URL of `identifier` on the source's endpoint: the stable IRI
/// Moisson gives a record harvested over CSW (dereferencing it returns the record).
pub fn record_by_id_url(endpoint: &str, identifier: &str) -> String {
    let Ok(mut url) = url::Url::parse(endpoint) else {
        return format!("urn:moisson:csw:{}", url_escape(identifier));
    };
    url.set_fragment(None);
    url.set_query(None);
    url.query_pairs_mut()
        .append_pair("service", "CSW")
        .append_pair("version", "2.0.2")
        .append_pair("request", "GetRecordById")
        .append_pair("elementSetName", "full")
        .append_pair("outputSchema", GMD_NS)
        .append_pair("id", identifier);
    url.to_string()
}

fn url_escape(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::SourceId;

    fn source(url: &str, constraint: Option<&str>) -> Source {
        Source {
            id: SourceId::new("t").expect("valid id"),
            name: "t".into(),
            url: url.into(),
            protocol: crate::source::Protocol::Csw,
            schedule: None,
            publisher_kind: None,
            territory: None,
            csw_output_schema: CswOutputSchema::Iso19139,
            csw_constraint: constraint.map(str::to_owned),
        }
    }

    #[test]
    fn post_requests_carry_paging_constraint_and_sort() {
        let s = source(
            "https://ogc.example.fr/csw/x",
            Some("OrganisationName = 'DDT de l''Ain' & co"),
        );
        let r = page_request(&s, 51, true);
        assert_eq!(r.key, "https://ogc.example.fr/csw/x#startPosition=51");
        let Method::Post(url, body) = &r.method else {
            panic!("post")
        };
        assert_eq!(url, "https://ogc.example.fr/csw/x");
        assert!(body.contains("startPosition=\"51\" maxRecords=\"50\""));
        assert!(
            body.contains("<csw:CqlText>OrganisationName = 'DDT de l''Ain' &amp; co</csw:CqlText>")
        );
        assert!(body.contains("apiso:Identifier"));
        assert_eq!(start_of_key(&r.key), Some(51));
        let xml = source(
            "https://ogc.example.fr/csw/x",
            Some("<ogc:PropertyIsEqualTo><ogc:PropertyName>Type</ogc:PropertyName><ogc:Literal>dataset</ogc:Literal></ogc:PropertyIsEqualTo>"),
        );
        let Method::Post(_, body) = page_request(&xml, 1, false).method else {
            panic!("post")
        };
        assert!(body.contains("<csw:Constraint version=\"1.1.0\"><ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\"><ogc:PropertyIsEqualTo>"));
        assert!(!body.contains("SortBy"));
    }

    #[test]
    fn kvp_requests_keep_configured_parameters() {
        let s = source(
            "http://h.test/csw?SERVICE=CSW&request=GetRecords&startPosition=7&typeNames=csw:Record",
            Some("AnyText like '%eau%'"),
        );
        assert!(uses_kvp(&s.url));
        let r = page_request(&s, 3, false);
        let Method::Get(url) = &r.method else {
            panic!("get")
        };
        assert_eq!(&r.key, url);
        assert_eq!(start_of_key(url), Some(3));
        assert!(url.contains("typeNames=csw%3ARecord"), "{url}");
        assert!(!url.contains("gmd%3AMD_Metadata"), "{url}");
        assert!(url.contains("constraintLanguage=CQL_TEXT"), "{url}");
        assert_eq!(url.matches("startPosition").count(), 1, "{url}");
    }

    #[test]
    fn record_iris_are_get_record_by_id_urls() {
        assert_eq!(
            record_by_id_url("https://ogc.example.fr/csw/x?a=b", "fr-1 2"),
            "https://ogc.example.fr/csw/x?service=CSW&version=2.0.2&request=GetRecordById&elementSetName=full&outputSchema=http%3A%2F%2Fwww.isotc211.org%2F2005%2Fgmd&id=fr-1+2"
        );
    }
}
