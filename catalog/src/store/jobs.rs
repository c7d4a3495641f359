//! Harvest job reports, kept in the metadata graph.
//!
//! A job is `<urn:moisson:job:{id}> a moisson:HarvestJob; moisson:source "…";
//! moisson:started "…"; moisson:report "{json}"`. A job is written when it starts (status
//! `running`) and replaced when it ends, so a crash leaves a `running` job that the next
//! start marks failed ([`CatalogStore::mark_interrupted_jobs`]).

use oxigraph::model::{Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::store::Transaction;

use super::{meta_graph, named, CatalogStore, StoreError};
use crate::model::{JobReport, JobStatus};
use crate::vocab::{moisson, rdf};

fn job_node(id: &str) -> NamedNode {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    NamedNode::new_unchecked(format!("{}{safe}", moisson::JOB_PREFIX))
}

impl CatalogStore {
    pub(crate) fn job_into_tx(
        &self,
        tx: &mut Transaction<'_>,
        job: &JobReport,
    ) -> Result<(), StoreError> {
        let node = job_node(&job.id);
        let old: Vec<Quad> = tx
            .quads_for_pattern(Some(node.as_ref().into()), None, None, Some(meta_graph()))
            .collect::<Result<_, _>>()?;
        for q in &old {
            tx.remove(q);
        }
        let g = meta_graph().into_owned();
        let json = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.insert(&Quad::new(
            node.clone(),
            named(rdf::TYPE),
            named(moisson::HARVEST_JOB),
            g.clone(),
        ));
        tx.insert(&Quad::new(
            node.clone(),
            named(moisson::SOURCE),
            Literal::new_simple_literal(&job.source),
            g.clone(),
        ));
        tx.insert(&Quad::new(
            node.clone(),
            named(moisson::STARTED),
            Literal::new_simple_literal(&job.started),
            g.clone(),
        ));
        tx.insert(&Quad::new(
            node,
            named(moisson::REPORT),
            Literal::new_simple_literal(json),
            g,
        ));
        Ok(())
    }

    /// Stores (or replaces) a job report.
    pub fn save_job(&self, job: &JobReport) -> Result<(), StoreError> {
        let mut tx = self.store.start_transaction()?;
        self.job_into_tx(&mut tx, job)?;
        tx.commit()?;
        Ok(())
    }

    /// The name `source` had at its latest harvest, if any job recorded it.
    pub fn source_name(&self, source: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .jobs(source, 1)?
            .into_iter()
            .next()
            .and_then(|job| job.source_name))
    }

    /// Returns the jobs of `source`, newest first, at most `limit`.
    pub fn jobs(&self, source: &str, limit: usize) -> Result<Vec<JobReport>, StoreError> {
        let mut jobs = Vec::new();
        let literal = Literal::new_simple_literal(source);
        for quad in self.store.quads_for_pattern(
            None,
            Some(named(moisson::SOURCE)),
            Some(literal.as_ref().into()),
            Some(meta_graph()),
        ) {
            let quad = quad?;
            let NamedOrBlankNode::NamedNode(subject) = &quad.subject else {
                continue;
            };
            if !subject.as_str().starts_with(moisson::JOB_PREFIX) {
                continue;
            }
            for report in self.store.quads_for_pattern(
                Some(subject.as_ref().into()),
                Some(named(moisson::REPORT)),
                None,
                Some(meta_graph()),
            ) {
                if let Term::Literal(l) = report?.object {
                    let job: JobReport = serde_json::from_str(l.value())
                        .map_err(|e| StoreError::Corrupt(format!("job {subject}: {e}")))?;
                    jobs.push(job);
                }
            }
        }
        jobs.sort_by(|a, b| b.started.cmp(&a.started).then(b.id.cmp(&a.id)));
        jobs.truncate(limit);
        Ok(jobs)
    }

    /// Returns the newest job of `source`.
    pub fn last_job(&self, source: &str) -> Result<Option<JobReport>, StoreError> {
        Ok(self.jobs(source, 1)?.into_iter().next())
    }

    /// Marks every job still `running` as failed (interrupted): called at startup, when no
    /// job can be running. Returns how many were marked.
    pub fn mark_interrupted_jobs(&self) -> Result<usize, StoreError> {
        let mut marked = 0;
        let mut running = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(named(moisson::REPORT)),
            None,
            Some(meta_graph()),
        ) {
            if let Term::Literal(l) = quad?.object {
                let job: JobReport = serde_json::from_str(l.value())
                    .map_err(|e| StoreError::Corrupt(format!("job: {e}")))?;
                if job.status == JobStatus::Running {
                    running.push(job);
                }
            }
        }
        for mut job in running {
            job.push_error(
                "harvest",
                "interrupted: the process stopped before the harvest ended",
            );
            job.finish(
                JobStatus::Failed,
                Some("interrupted: the process stopped before the harvest ended".into()),
            );
            self.save_job(&job)?;
            marked += 1;
        }
        Ok(marked)
    }
}
