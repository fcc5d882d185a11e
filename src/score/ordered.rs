//! Scoring a stream of jobs in parallel, in bounded memory, with the results in input order.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::{Input, Job, Scored};
use crate::model::StanceModel;

/// How much work [`score_in_order`] lets be in flight (handed out and not yet passed on): at
/// most `jobs` jobs and, unless a single job is larger, `bytes` bytes of input ([`Job::size`]).
/// Results that finished early wait for the ones before them inside these limits too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub jobs: usize,
    pub bytes: u64,
}

impl Default for Window {
    /// 16 jobs per thread (at least 32) and 64 MiB: enough to keep every thread busy while one
    /// long article holds up the ones after it, and a small fraction of a machine's memory.
    fn default() -> Self {
        Window {
            jobs: (16 * rayon::current_num_threads()).max(32),
            bytes: 64 << 20,
        }
    }
}

/// A job on its way: its input (kept for messages about it) and its result once there.
struct Slot {
    size: u64,
    input: Option<Input>,
    scored: Option<Scored>,
}

type Message = (usize, std::thread::Result<Scored>);

/// Scores `jobs` on rayon's thread pool and calls `done` with each job's input (`None` for an
/// article of records) and result, in the order of `jobs`, on the calling thread. Jobs are taken
/// from the iterator only as the [`Window`] allows, so memory does not grow with the input; long
/// articles are also split over threads ([`super::score_article`]).
///
/// The first error, from `jobs` or from `done`, stops the run and is returned: jobs not yet
/// passed to `done` are dropped unscored or unreported. Results are passed on when the window
/// is full or the jobs have run out, so an error in `jobs` within the first window comes before
/// any call to `done`. Call it from outside the thread pool (a pool thread would wait for work
/// queued behind it).
pub fn score_in_order<E>(
    model: &StanceModel,
    explain: Option<usize>,
    jobs: impl IntoIterator<Item = Result<Job, E>>,
    window: Window,
    mut done: impl FnMut(Option<Input>, Scored) -> Result<(), E>,
) -> Result<(), E> {
    let (tx, rx) = mpsc::channel::<Message>();
    let stop = AtomicBool::new(false);
    rayon::in_place_scope(|scope| {
        let result = (|| {
            let mut jobs = jobs.into_iter();
            let mut slots: VecDeque<Slot> = VecDeque::new();
            // Sequence number of `slots[0]`.
            let mut first = 0;
            let mut in_flight = 0u64;
            let mut next: Option<(Job, u64)> = None;
            let mut exhausted = false;
            loop {
                if next.is_none() && !exhausted {
                    match jobs.next() {
                        Some(job) => {
                            let job = job?;
                            let size = job.size();
                            next = Some((job, size));
                        }
                        None => exhausted = true,
                    }
                }
                if let Some((_, size)) = &next {
                    let fits = slots.len() < window.jobs && in_flight + size <= window.bytes;
                    if slots.is_empty() || fits {
                        let (job, size) = next.take().expect("a job is waiting");
                        let seq = first + slots.len();
                        slots.push_back(Slot {
                            size,
                            input: match &job {
                                Job::Read(input) => Some(input.clone()),
                                Job::Ready(_) => None,
                            },
                            scored: None,
                        });
                        in_flight += size;
                        let (tx, stop) = (tx.clone(), &stop);
                        scope.spawn(move |_| {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                            let scored =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    job.score(model, explain)
                                }));
                            // The receiver outlives the scope, so sending cannot fail.
                            let _ = tx.send((seq, scored));
                        });
                        continue;
                    }
                } else if slots.is_empty() {
                    return Ok(());
                }
                // The window is full, or every job is handed out: wait for a result, then pass
                // on those that are next in order.
                let (seq, scored) = rx.recv().expect("a job in flight sends its result");
                let scored = scored.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                slots[seq - first].scored = Some(scored);
                while slots.front().is_some_and(|s| s.scored.is_some()) {
                    let slot = slots.pop_front().expect("checked");
                    first += 1;
                    in_flight -= slot.size;
                    done(slot.input, slot.scored.expect("checked"))?;
                }
            }
        })();
        // Jobs still queued need not run: nobody will read their results.
        stop.store(true, Ordering::Relaxed);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Article, ScoredArticle};
    use crate::split::Paragraph;

    fn model() -> StanceModel {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/stance.json");
        StanceModel::load(std::path::Path::new(path)).unwrap()
    }

    /// Articles of 1 to 7 paragraphs cut from the seed labels' texts.
    fn articles(n: usize) -> Vec<Article> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/labels/seeds.tsv");
        let texts: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.rsplit('\t').next().unwrap().to_owned())
            .collect();
        (0..n)
            .map(|i| Article {
                doc: format!("d{i}"),
                outlet: None,
                paragraphs: (0..1 + i % 7)
                    .map(|k| Paragraph {
                        doc: format!("d{i}"),
                        para: k as u32 + 1,
                        text: texts[(i * 7 + k) % texts.len()].clone(),
                        line: 0,
                    })
                    .collect(),
                dropped: 0,
            })
            .collect()
    }

    fn run(
        model: &StanceModel,
        jobs: Vec<Result<Job, String>>,
        window: Window,
        fail_at: Option<usize>,
    ) -> (Vec<ScoredArticle>, Result<(), String>) {
        let mut out = Vec::new();
        let result = score_in_order(model, None, jobs, window, |input, scored| {
            assert!(input.is_none());
            if Some(out.len()) == fail_at {
                return Err("done failed".into());
            }
            match scored {
                Scored::Articles(mut a) => out.push(a.remove(0)),
                Scored::Failed { error, .. } => panic!("{error}"),
            }
            Ok(())
        });
        (out, result)
    }

    #[test]
    fn results_come_in_input_order_whatever_the_window() {
        let model = model();
        let articles = articles(60);
        let expected: Vec<ScoredArticle> = articles
            .iter()
            .map(|a| crate::score::score_article(&model, a, None))
            .collect();
        for window in [
            Window { jobs: 1, bytes: 0 },
            Window {
                jobs: 3,
                bytes: 1 << 20,
            },
            Window {
                jobs: 100,
                bytes: 2000,
            },
            Window::default(),
        ] {
            let jobs = articles
                .iter()
                .cloned()
                .map(|a| Ok(Job::Ready(a)))
                .collect();
            let (got, result) = run(&model, jobs, window, None);
            assert_eq!(result, Ok(()));
            assert_eq!(got, expected, "{window:?}");
        }
    }

    #[test]
    fn the_first_error_stops_the_run() {
        let model = model();
        let mut jobs: Vec<Result<Job, String>> = articles(40)
            .into_iter()
            .map(|a| Ok(Job::Ready(a)))
            .collect();
        jobs[30] = Err("bad record".into());
        let window = Window {
            jobs: 8,
            bytes: 1 << 20,
        };
        let (got, result) = run(&model, jobs.clone(), window, None);
        assert_eq!(result, Err("bad record".into()));
        // Job 29 went out with at most 7 before it in flight; nothing from 30 on was scored.
        assert!((30 - 8..30).contains(&got.len()), "{} passed on", got.len());
        assert!(got
            .iter()
            .enumerate()
            .all(|(i, a)| a.doc == format!("d{i}")));
        // An error inside the first window comes before anything is passed on.
        jobs[5] = Err("early".into());
        let (got, result) = run(&model, jobs.clone(), window, None);
        assert_eq!((got.len(), result), (0, Err("early".into())));
        let (got, result) = run(&model, jobs.split_off(6), window, Some(3));
        assert_eq!((got.len(), result), (3, Err("done failed".into())));
    }
}
