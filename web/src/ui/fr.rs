//! French formats: numbers (« 12 345 », « 71,5 »), dates (« 3 mars 2026 ») and times in
//! Paris time with the zone said, plurals and
//! the labels of DCAT-AP values (frequencies, job statuses).

use chrono::{DateTime, Datelike, NaiveDate};

/// The no-break space French puts between thousands.
const THOUSANDS: char = '\u{a0}';

/// Formats an integer with French thousands separators: `12345` → « 12 345 ».
pub(crate) fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THOUSANDS);
        }
        out.push(c);
    }
    out
}

/// Formats a number with one decimal and a decimal comma: `71.54` → « 71,5 ».
pub(crate) fn decimal(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let tenths = (x * 10.0).round() as i64;
    let (units, rest) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
    let sign = if tenths < 0 { "-" } else { "" };
    if rest == 0 {
        format!("{sign}{}", int(units))
    } else {
        format!("{sign}{},{rest}", int(units))
    }
}

/// Formats a share (0–1) as a percentage: `0.923` → « 92 % ».
pub(crate) fn percent(share: f64) -> String {
    format!("{}\u{a0}%", (share * 100.0).round() as i64)
}

/// Returns « 1 jeu de données » / « 12 jeux de données ».
pub(crate) fn datasets(n: u64) -> String {
    if n <= 1 {
        format!("{} jeu de données", int(n))
    } else {
        format!("{} jeux de données", int(n))
    }
}

/// Returns « Voir le jeu de données » / « Voir les 12 jeux de données ».
pub(crate) fn see_datasets(n: u64) -> String {
    if n == 1 {
        "Voir le jeu de données".to_owned()
    } else {
        format!("Voir les {}", datasets(n))
    }
}

/// Returns « 1 fiche » / « 12 fiches ».
pub(crate) fn records(n: u64) -> String {
    if n <= 1 {
        format!("{} fiche", int(n))
    } else {
        format!("{} fiches", int(n))
    }
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Formats a calendar date: « 3 mars 2026 », « 1er janvier 2025 ».
pub(crate) fn date_of(d: NaiveDate) -> String {
    let day = if d.day() == 1 {
        "1er".to_owned()
    } else {
        d.day().to_string()
    };
    format!("{day} {} {}", MONTHS[d.month0() as usize], d.year())
}

/// The zone every time is shown in: French local time, summer and winter time included.
const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;

/// Formats an `xsd:date`, `xsd:dateTime` or RFC 3339 value in French; an instant is dated
/// in Paris time; a bare year stays as is, anything else is returned unchanged (it is
/// harvested text).
pub(crate) fn date(raw: &str) -> String {
    let raw = raw.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        return date_of(dt.with_timezone(&PARIS).date_naive());
    }
    let day_part = raw.get(..10).unwrap_or(raw);
    if let Ok(d) = NaiveDate::parse_from_str(day_part, "%Y-%m-%d") {
        return date_of(d);
    }
    raw.to_owned()
}

/// Formats an RFC 3339 instant in Paris time, with the zone said:
/// « 3 mars 2026 à 14:05 (heure de Paris) ».
pub(crate) fn date_time(raw: &str) -> String {
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(dt) => {
            let local = dt.with_timezone(&PARIS);
            format!(
                "{} à {:02}:{:02} (heure de Paris)",
                date_of(local.date_naive()),
                chrono::Timelike::hour(&local),
                chrono::Timelike::minute(&local)
            )
        }
        Err(_) => date(raw),
    }
}

/// Formats a duration in milliseconds: « 850 ms », « 12,3 s », « 4 min 05 s ».
pub(crate) fn duration_ms(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms}\u{a0}ms"),
        1_000..=59_999 => format!("{}\u{a0}s", decimal(ms as f64 / 1000.0)),
        _ => format!(
            "{}\u{a0}min {:02}\u{a0}s",
            ms / 60_000,
            (ms % 60_000) / 1000
        ),
    }
}

/// Returns the French label of a `dct:accrualPeriodicity` (EU frequency authority IRI or
/// text); unknown values are returned as given.
pub(crate) fn frequency(raw: &str) -> String {
    let code = raw.rsplit(['/', '#']).next().unwrap_or(raw);
    let label = match code.to_ascii_uppercase().as_str() {
        "CONT" | "CONTINUOUS" => "en continu",
        "UPDATE_CONT" => "mise à jour continue",
        "DAILY" => "quotidienne",
        "WEEKLY" => "hebdomadaire",
        "BIWEEKLY" => "tous les quinze jours",
        "MONTHLY" => "mensuelle",
        "BIMONTHLY" => "tous les deux mois",
        "QUARTERLY" => "trimestrielle",
        "ANNUAL_3" | "THREE_TIMES_A_YEAR" => "trois fois par an",
        "ANNUAL_2" | "SEMIANNUAL" => "semestrielle",
        "ANNUAL" => "annuelle",
        "BIENNIAL" => "tous les deux ans",
        "TRIENNIAL" => "tous les trois ans",
        "IRREG" | "IRREGULAR" => "irrégulière",
        "NEVER" => "jamais mis à jour",
        "AS_NEEDED" => "au besoin",
        "NOT_PLANNED" => "non planifiée",
        "UNKNOWN" => "inconnue",
        _ => return raw.to_owned(),
    };
    label.to_owned()
}

/// Returns the French label of a harvest status.
pub(crate) fn job_status(status: moisson_catalog::JobStatus) -> &'static str {
    match status {
        moisson_catalog::JobStatus::Ok => "réussie",
        moisson_catalog::JobStatus::Partial => "partielle",
        moisson_catalog::JobStatus::Failed => "en échec",
        moisson_catalog::JobStatus::Running => "en cours",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_french_separators() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(12_345), "12\u{a0}345");
        assert_eq!(int(1_234_567), "1\u{a0}234\u{a0}567");
        assert_eq!(decimal(71.54), "71,5");
        assert_eq!(decimal(80.0), "80");
        assert_eq!(decimal(12_345.25), "12\u{a0}345,3");
        assert_eq!(percent(0.923), "92\u{a0}%");
        assert_eq!(datasets(1), "1 jeu de données");
        assert_eq!(datasets(2_000), "2\u{a0}000 jeux de données");
    }

    #[test]
    fn dates_are_written_in_french() {
        assert_eq!(date("2026-03-03"), "3 mars 2026");
        assert_eq!(date("2025-01-01T10:00:00Z"), "1er janvier 2025");
        assert_eq!(date("2024-08-15T00:00:00"), "15 août 2024");
        assert_eq!(date("2019"), "2019");
        assert_eq!(date("n'importe quoi"), "n'importe quoi");
        assert_eq!(
            date_time("2026-12-04T07:15:00Z"),
            "4 décembre 2026 à 08:15 (heure de Paris)"
        );
        // An instant late in the evening UTC is the next day in Paris.
        assert_eq!(date("2026-07-14T22:30:00Z"), "15 juillet 2026");
        assert_eq!(duration_ms(12_345), "12,3\u{a0}s");
        assert_eq!(duration_ms(245_000), "4\u{a0}min 05\u{a0}s");
    }

    #[test]
    fn times_follow_paris_summer_and_winter_time() {
        // Summer time ends on 25 October 2026 at 03:00 (UTC+2) → 02:00 (UTC+1).
        assert_eq!(
            date_time("2026-10-25T00:30:00Z"),
            "25 octobre 2026 à 02:30 (heure de Paris)"
        );
        assert_eq!(
            date_time("2026-10-25T01:30:00Z"),
            "25 octobre 2026 à 02:30 (heure de Paris)"
        );
        // It starts on 29 March 2026 at 02:00 (UTC+1) → 03:00 (UTC+2).
        assert_eq!(
            date_time("2026-03-29T00:59:00Z"),
            "29 mars 2026 à 01:59 (heure de Paris)"
        );
        assert_eq!(
            date_time("2026-03-29T01:00:00Z"),
            "29 mars 2026 à 03:00 (heure de Paris)"
        );
        // An offset given by the source is converted too.
        assert_eq!(
            date_time("2026-07-01T12:00:00-04:00"),
            "1er juillet 2026 à 18:00 (heure de Paris)"
        );
    }

    #[test]
    fn frequencies_have_french_labels() {
        assert_eq!(
            frequency("http://publications.europa.eu/resource/authority/frequency/ANNUAL"),
            "annuelle"
        );
        assert_eq!(frequency("tous les lundis"), "tous les lundis");
    }
}
