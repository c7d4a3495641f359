//! Pieces several pages share: links with query strings, quality badges, vocabulary
//! labels, breadcrumbs and paging.

use maud::{html, Markup};
use moisson_catalog::vocab::vocabularies;

use super::fr;

/// The parameters of a search URL, in order; builds the links of facets, filters, sorting
/// and paging so that every state of the search page is a shareable URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    /// Parses a query string, keeping non-empty values.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        )
    }

    /// Returns the first value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Returns true when `key=value` is present.
    pub(crate) fn has(&self, key: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == key && v == value)
    }

    /// Returns a copy with `key=value` added and the page reset.
    pub(crate) fn with(&self, key: &str, value: &str) -> Self {
        let mut out = self.without_key("page");
        if !out.has(key, value) {
            out.0.push((key.to_owned(), value.to_owned()));
        }
        out
    }

    /// Returns a copy without `key=value`, the page reset.
    pub(crate) fn without(&self, key: &str, value: &str) -> Self {
        let mut out = self.without_key("page");
        out.0.retain(|(k, v)| !(k == key && v == value));
        out
    }

    /// Returns a copy without any value of `key`.
    pub(crate) fn without_key(&self, key: &str) -> Self {
        Self(self.0.iter().filter(|(k, _)| k != key).cloned().collect())
    }

    /// Returns a copy with `key` set to `value` alone.
    pub(crate) fn set(&self, key: &str, value: &str) -> Self {
        let mut out = self.without_key(key);
        out.0.push((key.to_owned(), value.to_owned()));
        out
    }

    /// Returns the query string, without `?`.
    pub(crate) fn query(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            s.append_pair(k, v);
        }
        s.finish()
    }

    /// Returns `path?query` (or `path` alone when there is no parameter).
    pub(crate) fn href(&self, path: &str) -> String {
        if self.0.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", self.query())
        }
    }
}

/// The link to a search with the given parameters.
pub(crate) fn search_href(params: &[(&str, &str)]) -> String {
    Params(
        params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
    .href("/recherche")
}

/// Returns the CSS class and French word of a score out of 100: the MQA band of the
/// points it was derived from, the same word on every page.
pub(crate) fn score_band(score: f64) -> (&'static str, &'static str) {
    let band = moisson_catalog::quality::Band::of_score(score);
    let class = match band {
        moisson_catalog::quality::Band::Excellent | moisson_catalog::quality::Band::Good => {
            "score-good"
        }
        moisson_catalog::quality::Band::Sufficient => "score-fair",
        moisson_catalog::quality::Band::Insufficient => "score-bad",
    };
    (class, band.word())
}

/// A quality badge: « Qualité 71,5 / 100 · bon », coloured by band, readable without
/// colour; its title gives the MQA points it is derived from.
pub(crate) fn quality_badge(score: Option<f64>) -> Markup {
    match score {
        Some(s) => {
            let (class, word) = score_band(s);
            let points = moisson_catalog::quality::Score::from_score(s).points;
            html! {
                span class={ "badge " (class) } title={ "Qualité des métadonnées : " (fr::decimal(points)) " points MQA sur 405 (" (word) ")" } {
                    "Qualité " (fr::decimal(s)) "\u{a0}/\u{a0}100 · " (word)
                }
            }
        }
        None => html! { span.badge.score-none { "Qualité non évaluée" } },
    }
}

/// « Forte valeur (HVD) »: the badge of a dataset that claims to be an EU high-value
/// dataset, its categories in the title.
pub(crate) fn hvd_badge(claim: Option<&moisson_catalog::hvd::HvdClaim>) -> Markup {
    let Some(claim) = claim else {
        return html! {};
    };
    let categories = claim.category_labels();
    let title = if categories.is_empty() {
        "Jeu de données de forte valeur (règlement d'exécution (UE) 2023/138)".to_owned()
    } else {
        format!(
            "Jeu de données de forte valeur (règlement d'exécution (UE) 2023/138) : {}",
            categories.join(", ")
        )
    };
    html! { span.badge.badge-hvd title=(title) { "Forte valeur (HVD)" } }
}

/// The big score of a source, a producer or a record: the MQA points (the reference),
/// their band, and the value out of 100 derived from them.
pub(crate) fn big_score(score: f64) -> Markup {
    let (class, word) = score_band(score);
    let points = moisson_catalog::quality::Score::from_score(score).points;
    html! {
        p.big-score {
            span class={ "badge badge-large " (class) } { (fr::decimal(score)) "\u{a0}/\u{a0}100" }
            " " span { "niveau " strong { (word) } " — " (fr::decimal(points)) " points sur 405 selon la méthode MQA de data.europa.eu" }
        }
    }
}

/// Returns the French label of a theme or sub-theme slug.
pub(crate) fn theme_label(slug: &str) -> String {
    vocabularies()
        .themes
        .get(slug)
        .map_or_else(|| slug.to_owned(), |c| c.label.clone())
}

/// Returns the French label of a use-case slug.
pub(crate) fn use_case_label(slug: &str) -> String {
    vocabularies()
        .use_cases
        .get(slug)
        .map_or_else(|| slug.to_owned(), |c| c.label.clone())
}

/// Returns the French name of a territory key (`29`, `region-53`, `commune-29232`,
/// `epci-…`, `national`).
pub(crate) fn territory_label(key: &str) -> String {
    moisson_search::classify::territory_by_key(vocabularies(), key)
        .map(|t| t.name.clone())
        .or_else(|| moisson_catalog::vocab::places::place(key).map(|p| p.label()))
        .unwrap_or_else(|| key.to_owned())
}

/// A breadcrumb: links, then the current page.
pub(crate) fn breadcrumb(links: &[(&str, &str)], current: &str) -> Markup {
    if super::design::current().dsfr().is_some() {
        return html! {
            nav.fr-breadcrumb aria-label="Fil d'Ariane" {
                ol.fr-breadcrumb__list {
                    @for (href, label) in links {
                        li { a.fr-breadcrumb__link href=(href) { (label) } }
                    }
                    li { a.fr-breadcrumb__link aria-current="page" { (current) } }
                }
            }
        };
    }
    html! {
        nav.breadcrumb aria-label="Fil d'Ariane" {
            ol {
                @for (href, label) in links {
                    li { a href=(href) { (label) } }
                }
                li aria-current="page" { (current) }
            }
        }
    }
}

/// Paging links: previous, a window of pages, next.
pub(crate) fn pagination(params: &Params, path: &str, page: usize, pages: usize) -> Markup {
    if pages <= 1 {
        return html! {};
    }
    let first = page.saturating_sub(2).max(1);
    let last = (first + 4).min(pages);
    let href = |n: usize| params.set("page", &n.to_string()).href(path);
    // The State's design system: its classes on the same list.
    let fr = super::design::current().dsfr().is_some();
    // Optional attributes: the default markup stays as it was, without empty classes.
    let link = fr.then_some("fr-pagination__link");
    let prev =
        fr.then_some("fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label");
    let next =
        fr.then_some("fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label");
    html! {
        nav class=(if fr { "fr-pagination" } else { "pagination" }) aria-label="Pagination" {
            ul class=[fr.then_some("fr-pagination__list")] {
                @if page > 1 {
                    li { a class=[prev] href=(href(page - 1)) rel="prev" { "‹ Précédente" } }
                }
                @if first > 1 {
                    li { a class=[link] href=(href(1)) aria-label="Page 1" { "1" } }
                    @if first > 2 { li class=(if fr { "fr-pagination__link" } else { "ellipsis" }) aria-hidden="true" { "…" } }
                }
                @for n in first..=last {
                    li {
                        @if n == page {
                            a class=[link] href=(href(n)) aria-current="page" aria-label={ "Page " (n) } { (n) }
                        } @else {
                            a class=[link] href=(href(n)) aria-label={ "Page " (n) } { (n) }
                        }
                    }
                }
                @if page < pages {
                    li { a class=[next] href=(href(page + 1)) rel="next" { "Suivante ›" } }
                }
            }
        }
    }
}

/// An external link (harvested URL): shown only for http(s), opened in place.
pub(crate) fn external_link(url: &str, label: &str) -> Markup {
    if url.starts_with("http://") || url.starts_with("https://") {
        html! { a href=(url) rel="noopener noreferrer nofollow" { (label) } }
    } else {
        html! { (label) }
    }
}

/// Returns the host of an http(s) URL, for link texts (« la page sur www.x.fr »).
pub(crate) fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .and_then(|u| u.host_str().map(str::to_owned))
}

/// A link to a harvested page, named by its host rather than by its raw address.
pub(crate) fn page_link(url: &str) -> Markup {
    match host_of(url) {
        Some(host) => external_link(url, &format!("Voir la page sur {host}")),
        None => html! { (url) },
    }
}

/// Returns the French wording of `dct:accessRights`: the EU access-right codes by name, a
/// link by its host, text as given.
pub(crate) fn access_rights(raw: &str) -> Markup {
    let code = raw.trim().rsplit(['/', '#']).next().unwrap_or(raw);
    let known = match code.to_ascii_uppercase().as_str() {
        "PUBLIC" => Some("publiques (accès libre)"),
        "RESTRICTED" => Some("restreintes"),
        "NON_PUBLIC" => Some("non publiques"),
        _ => None,
    };
    match (known, host_of(raw)) {
        (Some(label), Some(_)) => external_link(raw, label),
        (Some(label), None) => html! { (label) },
        (None, Some(host)) => external_link(raw, &format!("décrites sur {host}")),
        (None, None) => html! { (raw) },
    }
}

/// Cuts harvested text to `max` characters, at a word boundary, with an ellipsis.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_named_not_shown_raw() {
        let eu = "http://publications.europa.eu/resource/authority/access-right/PUBLIC";
        let public = access_rights(eu).into_string();
        assert!(public.contains(">publiques (accès libre)</a>"), "{public}");
        assert_eq!(access_rights("Sur demande").into_string(), "Sur demande");
        let other = access_rights("https://www.x.fr/conditions").into_string();
        assert!(other.contains(">décrites sur www.x.fr</a>"), "{other}");
        let page = page_link("https://geo.example.org/jdd/1?x=1").into_string();
        assert!(
            page.contains(">Voir la page sur geo.example.org</a>"),
            "{page}"
        );
    }

    #[test]
    fn params_build_shareable_links() {
        let p = Params::parse(Some("q=zones+humides&theme=eau&page=3"));
        assert_eq!(p.get("q"), Some("zones humides"));
        let added = p.with("territory", "29");
        assert_eq!(
            added.href("/recherche"),
            "/recherche?q=zones+humides&theme=eau&territory=29"
        );
        assert_eq!(
            added.without("theme", "eau").query(),
            "q=zones+humides&territory=29"
        );
        assert_eq!(
            p.set("page", "4").query(),
            "q=zones+humides&theme=eau&page=4"
        );
        assert_eq!(Params::default().href("/recherche"), "/recherche");
    }

    #[test]
    fn truncation_keeps_whole_words() {
        assert_eq!(truncate("abc def ghi", 20), "abc def ghi");
        assert_eq!(truncate("abc def ghi", 9), "abc def…");
    }

    #[test]
    fn only_web_links_are_links() {
        assert!(external_link("javascript:alert(1)", "x")
            .into_string()
            .eq("x"));
        assert!(external_link("https://a.fr/x?a=1&b=2", "x")
            .into_string()
            .contains("href=\"https://a.fr/x?a=1&amp;b=2\""));
    }
}
