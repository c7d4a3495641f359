//! `/catalogues`: every harvested source; `/catalogues/{id}`: one catalogue's quality
//! dashboard (score, dimensions, trend, distribution of record scores, indicator pass
//! rates, records to fix, harvest history); `/catalogues/{id}/a-corriger.csv`: the records
//! to fix as CSV.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use moisson_catalog::quality::SourceQualityReport;
use moisson_catalog::{JobReport, JobStatus, SourceCounts};
use moisson_harvester::Source;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::components::{big_score, breadcrumb, quality_badge, search_href};
use super::layout::{page as layout_page, Nav};
use super::producers::{fix_groups, fix_list, indicator_param, FixQuery};
use super::{blocking, charts, fr, Page, UiError};
use crate::api::quality::source_report;
use crate::api::sources::{summarize, SourceSummary};
use crate::app::AppState;

/// Harvests listed in the history.
const JOBS_SHOWN: usize = 20;

pub(crate) async fn list_page(State(state): State<AppState>) -> Result<Page, UiError> {
    let (sources, distinct) =
        blocking(move || Ok((summarize(&state)?, state.index.document_count()))).await?;
    let records: u64 = sources
        .iter()
        .map(|s| s.dataset_count + s.service_count)
        .sum();
    Ok(Page::ok(layout_page(
        "Catalogues moissonnés",
        Nav::Catalogues,
        html! {
            div.container {
                h1 { "Catalogues moissonnés" }
                p.lead { "Chaque catalogue est moissonné selon sa planification. Son score de qualité résume la complétude et la justesse de ses fiches ; son tableau de bord dit quoi corriger." }
                div.table-wrap tabindex="0" role="region" aria-label="Catalogues moissonnés (tableau défilant)" {
                    table {
                        caption { (sources.len()) " catalogues" }
                        thead { tr {
                            th scope="col" { "Catalogue" }
                            th scope="col" { "Protocole" }
                            th scope="col" { "Planification" }
                            th scope="col" { "Dernière moisson" }
                            th scope="col" { "Fiches de jeux de données" }
                            th scope="col" { "Fiches de services" }
                            th scope="col" { "Retirés" }
                            th scope="col" { "Qualité" }
                        } }
                        tbody { @for s in &sources { (source_row(s)) } }
                    }
                }
                p.muted #totaux {
                    "Ces colonnes comptent les fiches de chaque catalogue : "
                    (fr::records(records)) " en tout. Une fiche publiée par plusieurs catalogues compte dans chacun ; "
                    "une fois les doublons fusionnés, cela fait " (fr::int(distinct)) " jeux de données et services distincts, "
                    "le nombre de l'accueil, de la recherche et du champ " code { "total" } " de l'API."
                }
            }
        },
    )))
}

fn protocol_label(protocol: &str) -> &'static str {
    match protocol {
        "csw" => "CSW (ISO 19139)",
        _ => "DCAT-AP",
    }
}

fn job_summary(job: Option<&JobReport>, running: bool) -> Markup {
    html! {
        @if running { span.status.status-running { "en cours" } br; }
        @match job {
            Some(j) => {
                span class={ "status " (status_class(j.status)) } { (fr::job_status(j.status)) }
                " " span.muted { (fr::date_time(j.finished.as_deref().unwrap_or(&j.started))) }
            }
            None => { "jamais moissonné" }
        }
    }
}

fn status_class(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Ok => "status-ok",
        JobStatus::Partial => "status-partial",
        JobStatus::Failed => "status-missing",
        JobStatus::Running => "status-running",
    }
}

fn source_row(s: &SourceSummary) -> Markup {
    html! {
        tr {
            th scope="row" { a href={ "/catalogues/" (s.id) } { (s.name) } }
            td { (protocol_label(s.protocol)) }
            td { (schedule_label(s.schedule.as_deref())) }
            td { (job_summary(s.last_job.as_ref(), s.running)) }
            td.num { a href=(search_href(&[("source", s.id.as_str())])) { (fr::int(s.dataset_count)) } }
            td.num { (fr::int(s.service_count)) }
            td.num { (fr::int(s.withdrawn_count)) }
            td { (quality_badge(s.quality_score)) }
        }
    }
}

/// Describes the usual cron schedules (`sec min hour * * *`) in French; others as given.
fn schedule_label(schedule: Option<&str>) -> String {
    let Some(cron) = schedule else {
        return "à la demande".into();
    };
    let parts: Vec<&str> = cron.split_whitespace().collect();
    match parts.as_slice() {
        [_, min, hour, "*", "*", "*" | "?"] => match (hour.parse::<u8>(), min.parse::<u8>()) {
            (Ok(h), Ok(m)) => format!("chaque jour à {h:02}:{m:02} (heure du serveur)"),
            _ => cron.to_owned(),
        },
        _ => cron.to_owned(),
    }
}

/// What the dashboard shows.
struct Dashboard {
    source: Source,
    /// Titles of the shared records, by dataset id.
    titles: std::collections::BTreeMap<String, String>,
    counts: SourceCounts,
    report: Arc<SourceQualityReport>,
    jobs: Vec<JobReport>,
}

/// Quality reports already read, by (server instance, source), with the id of the harvest
/// they follow. Reading a report from the store costs about 0.1 s at 100,000 records; it
/// only changes when a harvest ends, so a report read while no harvest of its source runs
/// stays valid until the source's last job changes. The server instance is the address of
/// its source list, which lives as long as the server (tests build one per request).
type ReportCache = Mutex<HashMap<(usize, String), (String, Arc<SourceQualityReport>)>>;

fn report_cache() -> &'static ReportCache {
    static CACHE: OnceLock<ReportCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Returns the quality report of `source`, from the cache when the last job (`last_job`)
/// is the one it was read after and no harvest of the source runs.
fn quality_report(
    state: &AppState,
    source: &Source,
    last_job: Option<&JobReport>,
) -> Result<Arc<SourceQualityReport>, UiError> {
    let id = source.id.as_str();
    let key = (
        Arc::as_ptr(&state.sources.current()) as usize,
        id.to_owned(),
    );
    let settled = last_job.filter(|_| !state.harvests.is_running(id));
    let lock = || report_cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(job) = settled {
        if let Some((job_id, report)) = lock().get(&key) {
            if *job_id == job.id {
                return Ok(report.clone());
            }
        }
    }
    let report = Arc::new(source_report(&state.store, source)?);
    if let Some(job) = settled {
        lock().insert(key, (job.id.clone(), report.clone()));
    }
    Ok(report)
}

fn find_source(state: &AppState, id: &str) -> Result<Source, UiError> {
    state
        .sources
        .current()
        .iter()
        .find(|s| s.id.as_str() == id)
        .cloned()
        .ok_or_else(UiError::not_found)
}

pub(crate) async fn dashboard_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Page, UiError> {
    let source = find_source(&state, &id)?;
    let markup = blocking(move || {
        let jobs = state.store.jobs(source.id.as_str(), JOBS_SHOWN)?;
        let report = quality_report(&state, &source, jobs.first())?;
        // Shared records are named by their titles, not their IRIs.
        let mut titles = std::collections::BTreeMap::new();
        for f in &report.shared_records {
            if let Some(title) = state.index.summary_of(&f.id)?.and_then(|s| s.title) {
                titles.insert(f.id.clone(), title);
            }
        }
        let d = Dashboard {
            counts: state.store.source_counts(source.id.as_str())?,
            report,
            titles,
            jobs,
            source,
        };
        Ok(render(&d))
    })
    .await?;
    Ok(Page::ok(markup))
}

pub(crate) async fn csv_download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<FixQuery>,
) -> Result<Response, UiError> {
    let indicator = indicator_param(&q)?;
    let source = find_source(&state, &id)?;
    let score = blocking({
        let (state, source) = (state.clone(), source.clone());
        move || {
            let last = state.store.last_job(source.id.as_str())?;
            Ok(quality_report(&state, &source, last.as_ref())?.score)
        }
    })
    .await?;
    let context = super::fix_csv::CsvContext {
        indicator,
        spill_dir: super::fix_csv::spill_dir(&state),
        source_scores: HashMap::from([(source.id.to_string(), score)]),
        origins: HashMap::from([(source.id.to_string(), crate::runner::record_origin(&source))]),
    };
    Ok(super::fix_csv::response(&id, context, move |each| {
        state
            .store
            .for_each_record_quality(source.id.as_str(), each)
    })
    .await)
}

/// `/catalogues/{id}/a-corriger?indicateur=…`: the records of a source failing one problem.
pub(crate) async fn fixes_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<FixQuery>,
) -> Result<Page, UiError> {
    let indicator = indicator_param(&q)?;
    let source = find_source(&state, &id)?;
    let markup = blocking(move || -> Result<_, UiError> {
        let base = format!("/catalogues/{}", source.id);
        let csv = match indicator {
            Some(i) => format!("{base}/a-corriger.csv?indicateur={}", i.as_str()),
            None => format!("{base}/a-corriger.csv"),
        };
        Ok(fix_list(
            &source.name,
            &[
                ("/", "Accueil"),
                ("/catalogues", "Catalogues"),
                (&base, &source.name),
            ],
            indicator,
            &csv,
            &*state.store.source_fix_lists(source.id.as_str())?,
        ))
    })
    .await?;
    Ok(Page::ok(markup))
}

fn render(d: &Dashboard) -> Markup {
    let s = &d.source;
    layout_page(
        &format!("Qualité du catalogue {}", s.name),
        Nav::Catalogues,
        html! {
            div.container {
                (breadcrumb(&[("/", "Accueil"), ("/catalogues", "Catalogues")], &s.name))
                h1 { (s.name) }
                dl.facts.facts-inline {
                    dt { "Protocole" } dd { (protocol_label(s.protocol.as_str())) }
                    // The address harvested, to copy (a CSW endpoint is no page to visit).
                    dt { "Adresse" } dd { code { (s.url) } }
                    dt { "Planification" } dd { (schedule_label(s.schedule.as_deref())) }
                    dt { "Contenu" } dd {
                        a href=(search_href(&[("source", s.id.as_str())])) { (fr::datasets(d.counts.datasets)) }
                        ", " (fr::int(d.counts.services)) " services, " (fr::int(d.counts.withdrawn)) " retirés"
                    }
                }
                p { a href={ "/catalogues/" (s.id) "/activite.atom" } { "Fil d'activité (Atom) : moissons en échec, baisses du score, nouvelles fiches à corriger" } }
                (score_summary(&d.report))
                (charts_section(&d.report))
                (indicators(&d.report))
                (fix_groups(&d.report.fix_groups, &format!("/catalogues/{}", s.id)))
                (shared_records(s, &d.report, &d.titles))
                (history(&d.jobs))
            }
        },
    )
}

fn score_summary(r: &SourceQualityReport) -> Markup {
    if r.record_count == 0 {
        return html! {
            section.score-card aria-labelledby="score" {
                h2 #score { "Score de qualité des métadonnées" }
                p.big-score { span { "Non mesuré" } }
                p { "Aucune fiche de ce catalogue n'a encore été évaluée : le score sera calculé après une moisson réussie." }
            }
        };
    }
    let partial: Vec<String> = r
        .dimensions
        .iter()
        .filter_map(|d| {
            let share = d.measured_share?;
            (share < 0.999).then(|| match d.score {
                Some(_) => format!(
                    "{} : mesurée sur {} de ses points",
                    d.label,
                    fr::percent(share)
                ),
                None => format!(
                    "{} : non mesurée ({} de ses points seulement)",
                    d.label,
                    fr::percent(share)
                ),
            })
        })
        .collect();
    html! {
        section.score-card aria-labelledby="score" {
            h2 #score { "Score de qualité des métadonnées" }
            (big_score(r.score))
            ul.score-notes {
                li { (fr::int(r.record_count as u64)) " fiches évaluées le " (fr::date_time(&r.computed_at)) " ; le score du catalogue est la moyenne des points de ses fiches, la note sur 100 en est déduite (même niveau)" }
                li { "À titre indicatif, critères de data.gouv.fr (9 critères, autre méthode) : " (fr::percent(r.udata_score)) " des critères remplis" }
                @if !partial.is_empty() {
                    li { "Le score porte sur ce qui a pu être mesuré (liens non encore vérifiés, informations sans objet) — " (partial.join(" ; ")) "." }
                }
                @if r.mapping_artefacts > 0 {
                    li { (fr::int(r.mapping_artefacts as u64)) " défauts peuvent venir de notre conversion ISO 19139 → DCAT-AP : ils ne sont pas comptés contre le producteur." }
                }
            }
        }
    }
}

fn charts_section(r: &SourceQualityReport) -> Markup {
    let dims: Vec<(String, Option<f64>)> = r
        .dimensions
        .iter()
        .map(|d| (d.label.clone(), d.score))
        .collect();
    let trend: Vec<(String, f64)> = r
        .trend
        .iter()
        .rev()
        .take(60)
        .rev()
        .map(|p| (p.harvested_at.clone(), p.score))
        .collect();
    let buckets: Vec<(String, usize)> = r
        .score_distribution
        .iter()
        .map(|b| (format!("{}–{}", b.from, b.to), b.count))
        .collect();
    html! {
        div.chart-grid {
            section aria-labelledby="dimensions" {
                h2 #dimensions { "Score par dimension" }
                (charts::score_bars("Score sur 100 de chaque dimension de qualité", &dims))
            }
            section aria-labelledby="evolution" {
                h2 #evolution { "Évolution du score" }
                (charts::trend("Score du catalogue après chaque moisson", &trend))
            }
            section aria-labelledby="repartition" {
                h2 #repartition { "Répartition des fiches par score" }
                (charts::histogram("Nombre de fiches par tranche de score sur 100", &buckets))
            }
        }
    }
}

fn indicators(r: &SourceQualityReport) -> Markup {
    html! {
        section aria-labelledby="indicateurs" {
            h2 #indicateurs { "Taux de réussite par indicateur" }
            div.table-wrap tabindex="0" role="region" aria-label="Taux de réussite par indicateur (tableau défilant)" {
                table {
                    caption { "Part des fiches qui satisfont chaque indicateur" }
                    thead { tr {
                        th scope="col" { "Indicateur" }
                        th scope="col" { "Dimension" }
                        th scope="col" { "Points" }
                        th scope="col" { "Fiches évaluées" }
                        th scope="col" { "Réussite" }
                    } }
                    tbody {
                        @for i in &r.indicators {
                            tr {
                                th scope="row" { (i.label) }
                                td { (r.dimensions.iter().find(|d| d.id == i.dimension).map_or(i.dimension.as_str(), |d| d.label.as_str())) }
                                td.num { (i.points) }
                                td.num { (fr::int(i.evaluated as u64)) }
                                td.num { (i.pass_rate.map_or_else(|| "non évalué".to_owned(), fr::percent)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Records whose IRI another source publishes too: which copy the dataset page shows.
fn shared_records(
    s: &Source,
    r: &SourceQualityReport,
    titles: &std::collections::BTreeMap<String, String>,
) -> Markup {
    if r.shared_records_total == 0 {
        return html! {};
    }
    html! {
        section aria-labelledby="partagees" {
            h2 #partagees { "Fiches publiées aussi par d'autres catalogues" }
            p {
                (fr::int(r.shared_records_total as u64))
                " fiches de ce catalogue ont le même identifiant (IRI) qu'une fiche d'un autre catalogue. "
                "La page du jeu de données montre la copie du catalogue qui détient le domaine de l'IRI, "
                "sinon la plus ancienne ; les autres copies sont listées sous « Provenance »."
            }
            ul {
                @for f in &r.shared_records {
                    li {
                        a href={ "/jeux-de-donnees/" (f.id) } { (titles.get(&f.id).map_or("Fiche sans titre", String::as_str)) }
                        " — aussi dans : " (f.other_sources.join(", "))
                        @if f.shown_from == s.id.as_str() { " ; copie affichée : celle de ce catalogue" }
                        @else { " ; copie affichée : celle de " (f.shown_from) }
                        @if !f.same_content { " ; " strong { "contenus différents" } }
                    }
                }
            }
            @if r.shared_records_total > r.shared_records.len() {
                p.muted { "Les " (fr::int((r.shared_records_total - r.shared_records.len()) as u64)) " autres ne sont pas listées ici." }
            }
        }
    }
}

fn history(jobs: &[JobReport]) -> Markup {
    html! {
        section aria-labelledby="historique" {
            h2 #historique { "Historique des moissons" }
            @if jobs.is_empty() {
                p.muted { "Ce catalogue n'a pas encore été moissonné." }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label="Historique des moissons (tableau défilant)" {
                    table {
                        caption { "Les " (jobs.len()) " dernières moissons, la plus récente d'abord" }
                        thead { tr {
                            th scope="col" { "Début" }
                            th scope="col" { "Résultat" }
                            th scope="col" { "Durée" }
                            th scope="col" { "Pages" }
                            th scope="col" { "Ajoutées" }
                            th scope="col" { "Modifiées" }
                            th scope="col" { "Inchangées" }
                            th scope="col" { "Retirées" }
                            th scope="col" { "Rejetées" }
                            th scope="col" { "Erreurs" }
                        } }
                        tbody {
                            @for j in jobs {
                                tr {
                                    th scope="row" { (fr::date_time(&j.started)) }
                                    td { span class={ "status " (status_class(j.status)) } { (fr::job_status(j.status)) } }
                                    td.num { (j.duration_ms.map_or_else(String::new, fr::duration_ms)) }
                                    td.num { (j.counts.pages) }
                                    td.num { (fr::int(j.counts.added)) }
                                    td.num { (fr::int(j.counts.updated)) }
                                    td.num { (fr::int(j.counts.unchanged)) }
                                    td.num { (fr::int(j.counts.removed)) }
                                    td.num { (fr::int(j.counts.rejected)) }
                                    td.num { (fr::int(j.errors_total.max(j.errors.len() as u64))) }
                                }
                            }
                        }
                    }
                }
                @for j in jobs.iter().filter(|j| !j.errors.is_empty() || j.reason.is_some()).take(5) {
                    details.job-errors {
                        summary { "Moisson du " (fr::date_time(&j.started)) " : " (fr::int(j.errors_total.max(j.errors.len() as u64))) " erreur(s)" }
                        @if let Some(reason) = &j.reason { p { "Motif : " (reason) } }
                        ul {
                            @for e in j.errors.iter().take(50) {
                                li { strong { (e.location) } " — " (e.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}
