//! SVG charts drawn on the server: horizontal bars, a score trend, a histogram and a small
//! map of a bounding box over the départements. Each chart is an image with a French text
//! alternative (`role="img"` and `aria-label`), and the pages also show the figures as text.

use maud::{html, Markup};
use moisson_catalog::vocab::{vocabularies, Bbox, TerritoryLevel};

use super::fr;

const BLUE: &str = "#000091";
const GREY: &str = "#e5e5e5";
const TEXT: &str = "#161616";

/// Horizontal bars of scores out of 100, one per labelled item (`None`: not measured).
pub(crate) fn score_bars(caption: &str, items: &[(String, Option<f64>)]) -> Markup {
    let row = 30.0;
    let label_w = 230.0;
    let bar_w = 300.0;
    let height = row * items.len() as f64 + 10.0;
    let alt = items
        .iter()
        .map(|(l, v)| match v {
            Some(v) => format!("{l} : {} sur 100", fr::decimal(*v)),
            None => format!("{l} : non mesuré"),
        })
        .collect::<Vec<_>>()
        .join(" ; ");
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (label_w + bar_w + 70.0) " " (height) }
                role="img" aria-label={ (caption) " — " (alt) } {
                @for (i, (label, value)) in items.iter().enumerate() {
                    @let y = 5.0 + row * i as f64;
                    text x=(label_w - 8.0) y=(y + 19.0) text-anchor="end" font-size="14" fill=(TEXT) { (label) }
                    rect x=(label_w) y=(y + 4.0) width=(bar_w) height="20" fill=(GREY) {}
                    @if let Some(v) = value {
                        rect x=(label_w) y=(y + 4.0) width=(format!("{:.1}", bar_w * v.clamp(0.0, 100.0) / 100.0)) height="20" fill=(BLUE) {}
                        text x=(label_w + bar_w + 8.0) y=(y + 19.0) font-size="14" fill=(TEXT) { (fr::decimal(*v)) }
                    } @else {
                        text x=(label_w + bar_w + 8.0) y=(y + 19.0) font-size="12" fill=(TEXT) { "non mesuré" }
                    }
                }
            }
            figcaption { (caption) }
        }
    }
}

/// The catalogue score after each harvest, oldest first (dates as RFC 3339).
pub(crate) fn trend(caption: &str, points: &[(String, f64)]) -> Markup {
    if points.is_empty() {
        return html! { p.muted { "Aucun point de mesure pour l'instant." } };
    }
    // One point is no trend: say what was measured and when the curve will come.
    if let [(at, value)] = points {
        return html! {
            p.trend-single {
                "Une seule mesure pour l'instant : " strong { (fr::decimal(*value)) "\u{a0}/\u{a0}100" }
                " le " (fr::date(at)) ". La courbe d'évolution apparaîtra après la prochaine moisson."
            }
        };
    }
    let (w, h, left, top, bottom) = (560.0, 220.0, 44.0, 12.0, 34.0);
    let plot_w = w - left - 16.0;
    let plot_h = h - top - bottom;
    let x = |i: usize| {
        if points.len() == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (points.len() - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            format!(
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x(i),
                y(*v)
            )
        })
        .collect();
    let alt = points
        .iter()
        .map(|(at, v)| format!("{} : {}", fr::date(at), fr::decimal(*v)))
        .collect::<Vec<_>>()
        .join(" ; ");
    let (first, last) = (&points[0].0, &points[points.len() - 1].0);
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (w) " " (h) } role="img"
                aria-label={ (caption) " — " (alt) } {
                @for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
                    line x1=(left) x2=(w - 16.0) y1=(y(tick)) y2=(y(tick)) stroke=(GREY) {}
                    text x=(left - 6.0) y=(y(tick) + 4.0) text-anchor="end" font-size="12" fill=(TEXT) { (tick) }
                }
                path d=(path) fill="none" stroke=(BLUE) stroke-width="2.5" {}
                @for (i, (_, v)) in points.iter().enumerate() {
                    circle cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*v))) r="3.5" fill=(BLUE) {}
                }
                text x=(left) y=(h - 10.0) font-size="12" fill=(TEXT) { (fr::date(first)) }
                text x=(w - 16.0) y=(h - 10.0) text-anchor="end" font-size="12" fill=(TEXT) { (fr::date(last)) }
            }
            figcaption { (caption) }
        }
    }
}

/// Vertical bars of counts (the distribution of record scores).
pub(crate) fn histogram(caption: &str, buckets: &[(String, usize)]) -> Markup {
    let max = buckets.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let (w, h, bottom, top) = (560.0, 200.0, 30.0, 20.0);
    let slot = (w - 20.0) / buckets.len().max(1) as f64;
    let alt = buckets
        .iter()
        .map(|(l, n)| format!("{l} : {}", fr::int(*n as u64)))
        .collect::<Vec<_>>()
        .join(" ; ");
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (w) " " (h) } role="img"
                aria-label={ (caption) " — " (alt) } {
                line x1="10" x2=(w - 10.0) y1=(h - bottom) y2=(h - bottom) stroke=(TEXT) {}
                @for (i, (label, n)) in buckets.iter().enumerate() {
                    @let bar_h = (h - bottom - top) * *n as f64 / max;
                    @let bx = 10.0 + slot * i as f64;
                    rect x=(format!("{:.1}", bx + 4.0)) y=(format!("{:.1}", h - bottom - bar_h)) width=(format!("{:.1}", slot - 8.0)) height=(format!("{:.1}", bar_h)) fill=(BLUE) {}
                    text x=(format!("{:.1}", bx + slot / 2.0)) y=(format!("{:.1}", h - bottom - bar_h - 5.0)) text-anchor="middle" font-size="12" fill=(TEXT) { (fr::int(*n as u64)) }
                    text x=(format!("{:.1}", bx + slot / 2.0)) y=(h - 10.0) text-anchor="middle" font-size="12" fill=(TEXT) { (label) }
                }
            }
            figcaption { (caption) }
        }
    }
}

/// Metropolitan France, where the département boxes are drawn.
const FRAME: (f64, f64, f64, f64) = (-5.5, 41.2, 10.0, 51.3);

/// A map of `bbox` over the boxes of the départements of metropolitan France; `None` when
/// the box lies outside (overseas, or a wrong axis order).
pub(crate) fn bbox_map(bbox: &Bbox, place: &str) -> Option<Markup> {
    let (west, south, east, north) = FRAME;
    if bbox.east < west || bbox.west > east || bbox.north < south || bbox.south > north {
        return None;
    }
    // Equirectangular, x scaled by cos(46°) so France keeps its shape.
    let scale = 30.0;
    let kx = 46f64.to_radians().cos() * scale;
    let px = |lon: f64| (lon.clamp(west, east) - west) * kx;
    let py = |lat: f64| (north - lat.clamp(south, north)) * scale;
    let (w, h) = (px(east), py(south));
    let rect = |b: &Bbox| {
        (
            format!("{:.1}", px(b.west)),
            format!("{:.1}", py(b.north)),
            format!("{:.1}", (px(b.east) - px(b.west)).max(1.5)),
            format!("{:.1}", (py(b.south) - py(b.north)).max(1.5)),
        )
    };
    let departements = vocabularies().territories.iter().filter(|t| {
        t.level == TerritoryLevel::Departement && t.bbox.west >= west && t.bbox.east <= east
    });
    let (bx, by, bw, bh) = rect(bbox);
    Some(html! {
        figure.chart.map {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (format!("{w:.0}")) " " (format!("{h:.0}")) }
                role="img" aria-label={ "Carte : emprise du jeu de données (" (place) ") sur les départements de métropole" } {
                @for d in departements {
                    @let (x, y, rw, rh) = rect(&d.bbox);
                    rect x=(x) y=(y) width=(rw) height=(rh) fill="#f6f6f6" stroke="#929292" stroke-width="0.6" {}
                }
                rect x=(bx) y=(by) width=(bw) height=(bh) fill="#000091" fill-opacity="0.25" stroke="#000091" stroke-width="2" {}
            }
            figcaption { "Emprise : " (place) " (rectangles gris : départements, approximatifs)" }
        }
    })
}
