//! Sources at run time: the configuration file's `[[source]]`s with what the admin API
//! added, replaced or disabled on top (the overlay, kept in `data_dir/sources-overlay.toml`),
//! as one list the API, the pages and the scheduler read, swapped at once on a change.
//!
//! Invariants:
//! - Every source, from the file, the overlay or a request, goes through
//!   [`crate::config::source_from_section`]: the same checks, the same located messages.
//! - The overlay is written before the live list changes, atomically (a temporary file in
//!   the same folder, synced, then renamed over the old one): a crash leaves the old file
//!   or the new one, never half of one, and a restart finds what the API accepted.
//! - Disabling a source removes it from the list (no listing, no schedule, no manual
//!   harvest); its records stay in the store as its last harvest left them. `PUT` with the
//!   same id enables it again.
//! - `SIGHUP` ([`Sources::reload_file`]) replaces the file's sources; the overlay stays on top.

use anyhow::{anyhow, bail, Context};
use moisson_harvester::Source;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::config::{source_from_section, SourceSection};

/// The overlay file's name in the data folder.
pub const OVERLAY_FILE: &str = "sources-overlay.toml";

/// Largest overlay file read, in bytes.
const MAX_OVERLAY_BYTES: u64 = 4 << 20;

/// What the admin API changed, as written in [`OVERLAY_FILE`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Ids of the sources disabled through the API (sources of the file included).
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Sources added or replaced through the API, written as `[[source]]` is.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceSection>,
}

impl Overlay {
    /// Reads the overlay at `path`; an absent file is an empty overlay.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_OVERLAY_BYTES), &mut text)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))
    }

    /// Writes the overlay to `path` atomically.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string(self).context("writing the sources overlay")?;
        let folder = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let temporary = folder.join(format!(".{OVERLAY_FILE}.{}.tmp", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(
                b"# Sources added, replaced or disabled through the admin API\n\
                  # (PUT/DELETE /api/sources/{id}); written by moisson, applied over moisson.toml.\n",
            )?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temporary, path)?;
            // The rename itself is durable once the folder is synced.
            std::fs::File::open(folder)?.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(e).with_context(|| format!("writing {}", path.display()));
        }
        Ok(())
    }

    /// Returns the file's sources with the overlay applied: replaced in place, added after
    /// them, disabled ones left out.
    pub fn apply(&self, file_sources: &[Source]) -> anyhow::Result<Vec<Source>> {
        let disabled: HashSet<&str> = self.disabled.iter().map(String::as_str).collect();
        let mut added: Vec<Source> = Vec::with_capacity(self.sources.len());
        for section in &self.sources {
            added.push(source_from_section(section.clone()).context("sources overlay")?);
        }
        let mut out: Vec<Source> = Vec::with_capacity(file_sources.len() + added.len());
        for s in file_sources {
            if disabled.contains(s.id.as_str()) {
                continue;
            }
            match added.iter().position(|a| a.id == s.id) {
                Some(i) => out.push(added.remove(i)),
                None => out.push(s.clone()),
            }
        }
        out.extend(
            added
                .into_iter()
                .filter(|a| !disabled.contains(a.id.as_str())),
        );
        Ok(out)
    }
}

/// What `PUT /api/sources/{id}` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The id was not in the list.
    Created,
    /// It replaced a source with the same id.
    Replaced,
}

/// The live list of sources; clones share it.
#[derive(Clone)]
pub struct Sources {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Arc<Vec<Source>>>,
    /// The file's sources and the overlay; holding it serialises changes.
    state: Mutex<(Vec<Source>, Overlay)>,
    /// `None`: changes are refused (the demo, benchmarks, tests without a data folder).
    overlay_path: Option<PathBuf>,
    changes: tokio::sync::watch::Sender<u64>,
}

impl Sources {
    /// A list that never changes.
    pub fn fixed(sources: Vec<Source>) -> Self {
        Self::build(sources.clone(), Overlay::default(), sources, None)
    }

    /// The file's sources with the overlay kept in `data_dir` applied.
    pub fn with_overlay(file_sources: Vec<Source>, data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(OVERLAY_FILE);
        let overlay = Overlay::read(&path)?;
        let current = overlay
            .apply(&file_sources)
            .with_context(|| format!("{}", path.display()))?;
        Ok(Self::build(file_sources, overlay, current, Some(path)))
    }

    fn build(
        file_sources: Vec<Source>,
        overlay: Overlay,
        current: Vec<Source>,
        overlay_path: Option<PathBuf>,
    ) -> Self {
        let (changes, _) = tokio::sync::watch::channel(0);
        Self {
            inner: Arc::new(Inner {
                current: RwLock::new(Arc::new(current)),
                state: Mutex::new((file_sources, overlay)),
                overlay_path,
                changes,
            }),
        }
    }

    /// The configuration file's sources (before the overlay), as last loaded.
    pub fn file_sources(&self) -> Vec<Source> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .clone()
    }

    /// Returns the sources now.
    pub fn current(&self) -> Arc<Vec<Source>> {
        self.inner
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Returns the source `id`, if it is in the list now.
    pub fn get(&self, id: &str) -> Option<Source> {
        self.current().iter().find(|s| s.id.as_str() == id).cloned()
    }

    /// Returns true when the admin API defined source `id` (added it, or replaced the
    /// file's definition): its harvests reach public addresses only, unless
    /// `allow_private_addresses` ([`crate::runner::run_started_reaching`]).
    pub fn defined_at_run_time(&self, id: &str) -> bool {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
            .sources
            .iter()
            .any(|s| s.id == id)
    }

    /// A receiver told of every change of the list.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Adds or replaces a source (already validated), persists it, then publishes it.
    pub fn put(&self, section: SourceSection) -> anyhow::Result<PutOutcome> {
        let source = source_from_section(section.clone())?;
        self.change(|_file, overlay| {
            let outcome = if self.get(source.id.as_str()).is_some() {
                PutOutcome::Replaced
            } else {
                PutOutcome::Created
            };
            overlay.disabled.retain(|d| d != source.id.as_str());
            overlay.sources.retain(|s| s.id != section.id);
            overlay.sources.push(section);
            Ok(outcome)
        })
    }

    /// Disables source `id`: `Ok(false)` when it is not in the list.
    pub fn disable(&self, id: &str) -> anyhow::Result<bool> {
        if self.get(id).is_none() {
            return Ok(false);
        }
        self.change(|file, overlay| {
            overlay.sources.retain(|s| s.id != id);
            if file.iter().any(|s| s.id.as_str() == id) && !overlay.disabled.iter().any(|d| d == id)
            {
                overlay.disabled.push(id.to_owned());
            }
            Ok(true)
        })
    }

    /// Replaces the configuration file's sources (`SIGHUP`); the overlay stays on top.
    pub fn reload_file(&self, file_sources: Vec<Source>) -> anyhow::Result<()> {
        let mut state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = state.1.apply(&file_sources)?;
        state.0 = file_sources;
        self.publish(current);
        Ok(())
    }

    /// Applies `edit` to the overlay, writes it, then publishes the new list; on any
    /// error nothing changes.
    fn change<T>(
        &self,
        edit: impl FnOnce(&[Source], &mut Overlay) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let Some(path) = &self.inner.overlay_path else {
            bail!("this server's sources cannot be changed at run time (no data folder)");
        };
        let mut state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut overlay = state.1.clone();
        let out = edit(&state.0, &mut overlay)?;
        let current = overlay.apply(&state.0)?;
        overlay.write(path)?;
        state.1 = overlay;
        self.publish(current);
        Ok(out)
    }

    fn publish(&self, current: Vec<Source>) {
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(current);
        self.inner
            .changes
            .send_modify(|generation| *generation += 1);
    }
}

impl From<Vec<Source>> for Sources {
    fn from(sources: Vec<Source>) -> Self {
        Self::fixed(sources)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: &str, url: &str) -> SourceSection {
        toml::from_str(&format!(
            "id = \"{id}\"\nname = \"Source {id}\"\nurl = \"{url}\"\n"
        ))
        .expect("section")
    }

    fn file_sources() -> Vec<Source> {
        ["ddt-29", "ddt-56"]
            .iter()
            .map(|id| {
                source_from_section(section(id, &format!("https://{id}.example.fr/dcat")))
                    .expect("valid")
            })
            .collect()
    }

    fn ids(sources: &Sources) -> Vec<String> {
        sources.current().iter().map(|s| s.id.to_string()).collect()
    }

    #[test]
    fn changes_are_persisted_and_found_again_on_restart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let live = Sources::with_overlay(file_sources(), dir.path()).expect("no overlay yet");
        let mut changes = live.subscribe();
        assert_eq!(
            live.put(section("oeb", "https://oeb.example.fr/dcat"))
                .expect("valid"),
            PutOutcome::Created
        );
        assert!(changes.has_changed().expect("sender alive"));
        changes.mark_unchanged();
        let mut replaced = section("ddt-29", "https://autre.example.fr/dcat");
        replaced.name = "DDT 29 (nouvelle adresse)".into();
        assert_eq!(live.put(replaced).expect("valid"), PutOutcome::Replaced);
        assert!(live.disable("ddt-56").expect("written"));
        assert!(!live.disable("absent").expect("nothing to do"));
        assert_eq!(ids(&live), ["ddt-29", "oeb"]);
        // A restart reads the overlay over the same file.
        let again = Sources::with_overlay(file_sources(), dir.path()).expect("overlay reads");
        assert_eq!(ids(&again), ["ddt-29", "oeb"]);
        assert_eq!(
            again.get("ddt-29").expect("kept").url,
            "https://autre.example.fr/dcat"
        );
        // Enabling a disabled source again.
        again
            .put(section("ddt-56", "https://ddt-56.example.fr/dcat"))
            .expect("valid");
        assert_eq!(ids(&again), ["ddt-29", "ddt-56", "oeb"]);
        let text = std::fs::read_to_string(dir.path().join(OVERLAY_FILE)).expect("file");
        assert!(text.starts_with("# Sources added"), "{text}");
        assert!(
            !text.contains("schedule"),
            "absent keys are not written: {text}"
        );
    }

    #[test]
    fn an_invalid_source_changes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let live = Sources::with_overlay(file_sources(), dir.path()).expect("no overlay yet");
        let error = live
            .put(section("ddt-35", "ftp://ddt-35.example.fr/"))
            .expect_err("refused");
        assert_eq!(
            error.to_string(),
            "source ddt-35: url must be http or https, got \"ftp://ddt-35.example.fr/\""
        );
        assert_eq!(ids(&live), ["ddt-29", "ddt-56"]);
        assert!(std::fs::metadata(dir.path().join(OVERLAY_FILE)).is_err());
    }

    #[test]
    fn sighup_replaces_the_file_sources_under_the_overlay() {
        let dir = tempfile::tempdir().expect("temp dir");
        let live = Sources::with_overlay(file_sources(), dir.path()).expect("no overlay yet");
        live.disable("ddt-29").expect("written");
        let mut reloaded = file_sources();
        reloaded.push(
            source_from_section(section("ddt-35", "https://ddt-35.example.fr/dcat"))
                .expect("valid"),
        );
        live.reload_file(reloaded).expect("valid");
        assert_eq!(ids(&live), ["ddt-56", "ddt-35"]);
    }

    #[test]
    fn a_fixed_list_refuses_changes() {
        let live = Sources::fixed(file_sources());
        assert!(live
            .put(section("oeb", "https://oeb.example.fr/dcat"))
            .is_err());
    }
}
