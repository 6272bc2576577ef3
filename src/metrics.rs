//! The server's Prometheus metrics: one registry per running server (not the process-global
//! recorder, so two servers in one process never mix their numbers), counters and histograms
//! fed by the sync engine and the HTTP layer, gauges read from the database at each scrape.
//! No label ever carries a repository or a user name.

use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Buckets of `mirrorforge_sync_duration_seconds`: from a no-op sync to an hour.
const SYNC_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
];
/// Buckets of `mirrorforge_http_request_duration_seconds`.
const HTTP_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// The `sync_status` values `mirrorforge_mirrors` always reports (0 when none).
pub const SYNC_STATUSES: &[&str] = &["idle", "syncing", "success", "failed"];
/// The methods HTTP defines (RFC 9110 and PATCH): the only `method` labels besides `other`.
const HTTP_METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// What the database says at scrape time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorGauges {
    /// Mirrors (mirroring on) per `sync_status` word.
    pub by_status: Vec<(String, u64)>,
    /// Syncs that hold a slot and run now, in every process on this database.
    pub running: u64,
    /// Syncs waiting to run: claimed and waiting for a slot, or a trigger waiting for the
    /// running sync of its repository.
    pub queued: u64,
    /// Mirrors whose next sync is more than a scheduler tick late.
    pub overdue: u64,
}

/// The registry of one server.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Where our metrics come from, for the recorder's bookkeeping.
static METADATA: Metadata<'static> = Metadata::new("mirrorforge", Level::INFO, Some("mirrorforge"));

impl Metrics {
    /// An empty registry with every metric described.
    #[must_use]
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        // The matchers are full names, never empty: setting their buckets cannot fail.
        let builder = builder
            .set_buckets_for_metric(
                Matcher::Full("mirrorforge_sync_duration_seconds".to_owned()),
                SYNC_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("mirrorforge_http_request_duration_seconds".to_owned()),
                    HTTP_BUCKETS,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let metrics = Self { recorder, handle };
        metrics.describe();
        metrics
    }

    fn describe(&self) {
        let r = &self.recorder;
        let text = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            (KeyName::from_const_str(name), unit, help.into())
        };
        for (name, unit, help) in [
            text(
                "mirrorforge_sync_runs_total",
                None,
                "Mirror syncs ended, by direction and result.",
            ),
            text(
                "mirrorforge_sync_transferred_bytes_total",
                Some(Unit::Bytes),
                "Bytes moved by mirror syncs, by direction.",
            ),
            text(
                "mirrorforge_http_requests_total",
                None,
                "HTTP requests answered, by method, route template and status.",
            ),
        ] {
            r.describe_counter(name, unit, help);
        }
        for (name, unit, help) in [
            text(
                "mirrorforge_sync_duration_seconds",
                Some(Unit::Seconds),
                "How long mirror syncs took.",
            ),
            text(
                "mirrorforge_http_request_duration_seconds",
                Some(Unit::Seconds),
                "How long HTTP requests took to answer, by route template.",
            ),
        ] {
            r.describe_histogram(name, unit, help);
        }
        for (name, help) in [
            (
                "mirrorforge_mirrors",
                "Mirrors switched on, by sync status.",
            ),
            (
                "mirrorforge_syncs_running",
                "Syncs holding a slot and running now.",
            ),
            (
                "mirrorforge_syncs_queued",
                "Syncs waiting for a slot, or for their repository's running sync.",
            ),
            (
                "mirrorforge_mirrors_overdue",
                "Mirrors whose next sync is overdue.",
            ),
        ] {
            r.describe_gauge(KeyName::from_const_str(name), None, help.into());
        }
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        self.recorder
            .register_histogram(&Key::from_parts(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
    }

    /// A sync ended: `direction` (`upstream`, `downstream`, `both`), `result` (a run status
    /// word), how long it took and how many bytes it moved.
    pub fn sync_ended(&self, direction: &str, result: &str, took: Duration, bytes: u64) {
        let direction = Label::new("direction", direction.to_owned());
        self.counter(
            "mirrorforge_sync_runs_total",
            vec![direction.clone(), Label::new("result", result.to_owned())],
        )
        .increment(1);
        self.counter("mirrorforge_sync_transferred_bytes_total", vec![direction])
            .increment(bytes);
        self.histogram("mirrorforge_sync_duration_seconds", Vec::new())
            .record(took.as_secs_f64());
    }

    /// An HTTP request was answered: its method (`other` for one HTTP does not define, so
    /// made-up methods cannot grow the scrape), its route template (`/:owner/:repo`, never
    /// the names in it), its status and how long it took.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let route = Label::new("route", route.to_owned());
        let method = HTTP_METHODS
            .iter()
            .find(|known| **known == method)
            .map_or("other", |known| *known);
        self.counter(
            "mirrorforge_http_requests_total",
            vec![
                Label::new("method", method),
                route.clone(),
                Label::new("status", status.to_string()),
            ],
        )
        .increment(1);
        self.histogram("mirrorforge_http_request_duration_seconds", vec![route])
            .record(took.as_secs_f64());
    }

    /// The scrape in the Prometheus text format, with the gauges set from `gauges`.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    pub fn render(&self, gauges: &MirrorGauges) -> String {
        for status in SYNC_STATUSES {
            let count = gauges
                .by_status
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.gauge(
                "mirrorforge_mirrors",
                vec![Label::new("sync_status", *status)],
            )
            .set(count as f64);
        }
        self.gauge("mirrorforge_syncs_running", Vec::new())
            .set(gauges.running as f64);
        self.gauge("mirrorforge_syncs_queued", Vec::new())
            .set(gauges.queued as f64);
        self.gauge("mirrorforge_mirrors_overdue", Vec::new())
            .set(gauges.overdue as f64);
        self.handle.run_upkeep();
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_and_a_request_show_in_the_scrape_with_their_labels() {
        let metrics = Metrics::new();
        metrics.sync_ended("upstream", "success", Duration::from_millis(1500), 2048);
        metrics.http_request("GET", "/:owner/:repo", 200, Duration::from_millis(3));
        let text = metrics.render(&MirrorGauges {
            by_status: vec![("failed".to_owned(), 2)],
            running: 1,
            queued: 0,
            overdue: 3,
        });
        assert!(
            text.contains(
                "mirrorforge_sync_runs_total{direction=\"upstream\",result=\"success\"} 1"
            )
        );
        assert!(
            text.contains("mirrorforge_sync_transferred_bytes_total{direction=\"upstream\"} 2048")
        );
        assert!(text.contains("mirrorforge_sync_duration_seconds_bucket{le=\"2.5\"} 1"));
        assert!(text.contains("mirrorforge_mirrors{sync_status=\"failed\"} 2"));
        assert!(text.contains("mirrorforge_mirrors{sync_status=\"success\"} 0"));
        assert!(text.contains("mirrorforge_mirrors_overdue 3"));
        assert!(text.contains("route=\"/:owner/:repo\""));
    }

    #[test]
    fn a_method_http_does_not_define_counts_as_other() {
        let metrics = Metrics::new();
        for method in ["BREW", "X-1", "get", "PATCH"] {
            metrics.http_request(method, "unmatched", 405, Duration::from_millis(1));
        }
        let text = metrics.render(&MirrorGauges::default());
        assert!(text.contains("method=\"other\""), "{text}");
        assert!(text.contains("method=\"PATCH\""), "{text}");
        for made_up in ["BREW", "X-1", "get"] {
            assert!(!text.contains(&format!("method=\"{made_up}\"")), "{text}");
        }
    }

    #[test]
    fn two_registries_do_not_share_numbers() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.sync_ended("upstream", "failed", Duration::from_secs(1), 0);
        assert!(
            !b.render(&MirrorGauges::default())
                .contains("result=\"failed\"")
        );
    }
}
