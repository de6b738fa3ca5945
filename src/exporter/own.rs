//! The exporter's own metrics, after the IPVS families of each scrape:
//! `ipvsadm_exporter_build_info` (the version, as the Prometheus exporters give theirs),
//! and per watched namespace the time its last read took and the reads that failed since
//! the exporter started.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::output::metrics::Format;

/// The prefix of the exporter's own metric names.
pub const PREFIX: &str = "ipvsadm_exporter";

/// One namespace's reads: its label (`None`: the exporter's own namespace), how long its
/// last read took, how many failed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Reads {
    /// The `netns` label.
    pub netns: Option<String>,
    /// Seconds the last read took.
    pub seconds: f64,
    /// Failed reads since the start.
    pub errors: u64,
}

type Labels = Vec<(String, String)>;

fn labels(netns: &Option<String>) -> Labels {
    netns
        .iter()
        .map(|n| ("netns".to_string(), n.clone()))
        .collect()
}

/// The exporter's own families, in `format` (no end marker).
pub fn encode(format: Format, reads: &[Reads]) -> String {
    let mut registry = Registry::with_prefix(PREFIX);
    let build = Family::<Labels, Gauge>::default();
    build
        .get_or_create(&vec![(
            "version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        )])
        .set(1);
    registry.register(
        "build_info",
        "The exporter's version; the value is always 1.",
        build,
    );
    let seconds = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    let errors = Family::<Labels, Counter>::default();
    for r in reads {
        seconds.get_or_create(&labels(&r.netns)).set(r.seconds);
        errors.get_or_create(&labels(&r.netns)).inc_by(r.errors);
    }
    registry.register_with_unit(
        "scrape_duration",
        "How long the last read of the network namespace's IPVS took.",
        Unit::Seconds,
        seconds,
    );
    registry.register(
        "scrape_errors",
        "Reads of the network namespace's IPVS that failed since the exporter started.",
        errors,
    );
    let mut out = String::new();
    match format {
        Format::Prometheus => {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
        }
        Format::OpenMetrics => {
            prometheus_client::encoding::text::encode_registry(&mut out, &registry)
        }
    }
    .expect("writing to a String does not fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_metrics_name_the_version_and_each_namespace() {
        let reads = [
            Reads {
                netns: Some("blue".into()),
                seconds: 0.25,
                errors: 0,
            },
            Reads {
                netns: Some("gone".into()),
                seconds: 0.5,
                errors: 3,
            },
        ];
        let text = encode(Format::Prometheus, &reads);
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            text.contains(&format!(
                "ipvsadm_exporter_build_info{{version=\"{version}\"}} 1\n"
            )),
            "{text}"
        );
        assert!(
            text.contains("ipvsadm_exporter_scrape_duration_seconds{netns=\"blue\"} 0.25\n"),
            "{text}"
        );
        assert!(
            text.contains("ipvsadm_exporter_scrape_errors_total{netns=\"gone\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE ipvsadm_exporter_scrape_errors_total counter\n"),
            "{text}"
        );
        let own = encode(
            Format::OpenMetrics,
            &[Reads {
                netns: None,
                seconds: 1.0,
                errors: 1,
            }],
        );
        assert!(
            own.contains("ipvsadm_exporter_scrape_errors_total 1\n"),
            "{own}"
        );
        assert!(
            own.contains("# UNIT ipvsadm_exporter_scrape_duration_seconds seconds\n"),
            "{own}"
        );
        assert!(!own.contains("# EOF"));
    }
}
