//! What every record of one demo source shares: the territory its records are about,
//! its hosts and IRIs, the bases of its working and broken links, and the layout of its
//! data services.
//!
//! `territory` is read as a département code for DDTs and as a région code otherwise
//! (INSEE codes overlap: "53" is both Bretagne and Mayenne), falling back on the other
//! reading, then on every département of the tables.

use super::prng::{fnv1a, Prng};
use super::territory::{self, Departement, Place, Region, DEPARTEMENTS};
use super::DemoSource;
use std::ops::Range;

/// Random stream of the datasets: its first draw is the dataset's UUID.
pub(super) const DATASET_STREAM: u64 = 1;

#[derive(Debug, Clone, Copy)]
enum Scope {
    Departement(&'static Departement),
    Region(&'static Region),
    National,
}

/// What every record of a source shares: its territory, host, publisher and link bases.
#[derive(Debug)]
pub(super) struct Context<'a> {
    pub(super) source: &'a DemoSource,
    scope: Scope,
    /// The départements records may be about, never empty.
    departements: Vec<&'static Departement>,
    pub(super) host: String,
    pub(super) publisher_iri: String,
    pub(super) catalog_iri: String,
    /// `{base_url}files/{id}/`: links the demo server answers 200.
    pub(super) files: String,
    /// `{base_url}broken/{id}/`: links the demo server answers 404.
    pub(super) broken: String,
    /// A SIREN-like number some identifiers start with.
    pub(super) siren: u64,
}

impl<'a> Context<'a> {
    /// `base_url` must end with `/`.
    pub(super) fn new(source: &'a DemoSource, base_url: &str) -> Self {
        debug_assert!(
            base_url.ends_with('/'),
            "base_url is normalized by the caller"
        );
        let scope = resolve_scope(source);
        let departements: Vec<_> = match scope {
            Scope::Departement(departement) => vec![departement],
            Scope::Region(region) => territory::departements_of(region.code).collect(),
            Scope::National => DEPARTEMENTS.iter().collect(),
        };
        let departements = if departements.is_empty() {
            DEPARTEMENTS.iter().collect()
        } else {
            departements
        };
        let id = &source.id;
        let host = format!("{id}.example.org");
        Self {
            source,
            scope,
            departements,
            publisher_iri: format!("https://annuaire.example.org/organisation/{id}"),
            catalog_iri: format!("https://{host}/catalogue"),
            host,
            files: format!("{base_url}files/{id}/"),
            broken: format!("{base_url}broken/{id}/"),
            siren: 100_000_000 + fnv1a(id) % 900_000_000,
        }
    }

    /// Returns the IRI of dataset `index`.
    pub(super) fn dataset_iri(&self, index: usize) -> String {
        let uuid = Prng::for_record(self.source.seed, DATASET_STREAM, index as u64).uuid();
        self.dataset_iri_of(&uuid)
    }

    pub(super) fn dataset_iri_of(&self, uuid: &str) -> String {
        format!("https://{}/jdd/{uuid}", self.host)
    }

    /// Returns the IRI of data service `index`.
    pub(super) fn service_iri(&self, index: usize) -> String {
        format!("https://{}/service/{}", self.host, index + 1)
    }

    /// Returns the département and slot of a shared (duplicated) record, if `index` is one.
    pub(super) fn shared_slot(&self, index: usize) -> Option<(&'static Departement, u64)> {
        match (self.scope, self.source.publisher_kind.as_str()) {
            (Scope::Departement(departement), "DDT") if index % 16 == 5 => {
                Some((departement, (index / 16) as u64))
            }
            (Scope::Region(_), "DREAL") if index % 20 == 9 => {
                let turn = index / 20;
                let count = self.departements.len();
                Some((self.departements[turn % count], ((turn / count) % 6) as u64))
            }
            _ => None,
        }
    }

    pub(super) fn has_coast(&self) -> bool {
        self.departements
            .iter()
            .any(|departement| departement.coastal)
    }

    fn pick_departement(&self, rng: &mut Prng, coastal: bool) -> &'static Departement {
        for _ in 0..8 {
            let departement = *rng.pick(&self.departements);
            if departement.coastal || !coastal {
                return departement;
            }
        }
        let mut candidates = self.departements.iter();
        candidates
            .find(|departement| departement.coastal)
            .copied()
            .unwrap_or(self.departements[0])
    }

    pub(super) fn pick_place(&self, rng: &mut Prng, coastal: bool) -> Place {
        let departement = self.pick_departement(rng, coastal);
        let roll = rng.below(100);
        let commune = Place::Commune(departement, rng.pick(departement.communes));
        match self.scope {
            Scope::Departement(_) if roll < 55 => Place::Departement(departement),
            Scope::Departement(_) => commune,
            Scope::Region(region) if roll < 40 && !coastal => Place::Region(region),
            Scope::Region(_) | Scope::National if roll < 85 => Place::Departement(departement),
            Scope::National if roll >= 95 => territory::region(departement.region)
                .map_or(Place::Departement(departement), Place::Region),
            Scope::Region(_) | Scope::National => commune,
        }
    }
}

/// Reads `territory` as a département code for DDTs, as a région code otherwise, falling
/// back on the other reading, then on the whole table.
fn resolve_scope(source: &DemoSource) -> Scope {
    let Some(code) = source.territory.as_deref() else {
        return Scope::National;
    };
    let departement = territory::departement(code).map(Scope::Departement);
    let region = territory::region(code).map(Scope::Region);
    let scope = if source.publisher_kind == "DDT" {
        departement.or(region)
    } else {
        region.or(departement)
    };
    scope.unwrap_or(Scope::National)
}

/// Returns how many data services a source publishes: one per 4 datasets for operators
/// (the services-heavy kind), one per 40 for DREALs, none otherwise.
pub(super) fn service_count(source: &DemoSource) -> usize {
    match source.publisher_kind.as_str() {
        "operator" => source.datasets.div_ceil(4),
        "DREAL" => source.datasets / 40,
        _ => 0,
    }
}

/// Returns the indices of the datasets service `index` serves.
pub(super) fn served_datasets(source: &DemoSource, index: usize) -> Range<usize> {
    let (every, serves) = match source.publisher_kind.as_str() {
        "operator" => (4, 4),
        _ => (40, 3),
    };
    let first = index * every;
    first..(first + serves).min(source.datasets)
}

#[cfg(test)]
mod tests {
    use super::super::DemoFormat;
    use super::*;

    fn source(kind: &str, territory: Option<&str>, datasets: usize) -> DemoSource {
        DemoSource {
            id: "s".to_owned(),
            name: "Source".to_owned(),
            publisher_kind: kind.to_owned(),
            territory: territory.map(str::to_owned),
            format: DemoFormat::Turtle,
            page_size: None,
            datasets,
            seed: 1,
            revision: 0,
        }
    }

    #[test]
    fn scope_follows_publisher_kind() {
        let dreal = source("DREAL", Some("53"), 10);
        let scope = Context::new(&dreal, "http://h/").scope;
        assert!(matches!(scope, Scope::Region(region) if region.code == "53"));
        let ddt = source("DDT", Some("53"), 10);
        let scope = Context::new(&ddt, "http://h/").scope;
        assert!(matches!(scope, Scope::Region(region) if region.code == "53"));
        let ddt = source("DDT", Some("29"), 10);
        let scope = Context::new(&ddt, "http://h/").scope;
        assert!(matches!(scope, Scope::Departement(departement) if departement.code == "29"));
        let national = source("agency", None, 10);
        assert!(matches!(
            Context::new(&national, "http://h/").scope,
            Scope::National
        ));
    }

    #[test]
    fn services_serve_existing_datasets() {
        for (kind, datasets) in [("operator", 9), ("DREAL", 85), ("DREAL", 39)] {
            let source = source(kind, None, datasets);
            for index in 0..service_count(&source) {
                let served = served_datasets(&source, index);
                assert!(
                    !served.is_empty() && served.end <= datasets,
                    "{kind} {index}"
                );
            }
        }
        assert_eq!(service_count(&source("operator", None, 9)), 3);
        assert_eq!(service_count(&source("DREAL", None, 85)), 2);
        assert_eq!(service_count(&source("DDT", None, 900)), 0);
    }

    #[test]
    fn links_live_under_the_base_url() {
        let source = source("DDT", Some("29"), 1);
        let context = Context::new(&source, "http://127.0.0.1:8/");
        assert_eq!(context.files, "http://127.0.0.1:8/files/s/");
        assert_eq!(context.broken, "http://127.0.0.1:8/broken/s/");
        assert!(context
            .dataset_iri(0)
            .starts_with("https://s.example.org/jdd/"));
    }
}
