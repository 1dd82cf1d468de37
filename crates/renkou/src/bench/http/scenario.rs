//! What the benchmark asks the server, and what one measured run found.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scenario {
    /// The empty axum handler: the reference.
    Empty,
    /// `GET /api/v1/me`: the bearer token checked, nothing else read (a diagnostic).
    Me,
    /// `GET /api/v1/persons?q=<ID number>`.
    Search,
    /// `GET /api/v1/persons/{id}`: the whole record, one audit row per request.
    View,
}

pub(super) const ALL: [Scenario; 4] = [
    Scenario::Empty,
    Scenario::Me,
    Scenario::Search,
    Scenario::View,
];

impl Scenario {
    pub(super) fn key(self) -> &'static str {
        match self {
            Scenario::Empty => "empty",
            Scenario::Me => "me",
            Scenario::Search => "search",
            Scenario::View => "view",
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Scenario::Empty => "empty axum handler (reference)",
            Scenario::Me => "GET /api/v1/me (token check only)",
            Scenario::Search => "GET /api/v1/persons?q=<ID number>",
            Scenario::View => "GET /api/v1/persons/{id} (+ audit row)",
        }
    }

    /// Whether the issue sets targets for it (the empty handler and `me` are for comparison).
    pub(super) fn has_targets(self) -> bool {
        matches!(self, Scenario::Search | Scenario::View)
    }

    /// What each request's path is built from: `prefix` + the person's id or ID number.
    pub(super) fn path_prefix(self) -> &'static str {
        match self {
            // The same request line as `view`, so the reference parses the same bytes.
            Scenario::Empty | Scenario::View => "/api/v1/persons/",
            Scenario::Me => "/api/v1/me?",
            Scenario::Search => "/api/v1/persons?q=",
        }
    }
}

/// One person the requests ask for.
pub(super) struct Sampled {
    pub(super) id: i64,
    pub(super) id_number: String,
}

/// One measured wrk run.
#[derive(Debug, Clone)]
pub(super) struct RunResult {
    pub(super) rps: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) max_ms: f64,
    pub(super) requests: u64,
    /// Socket errors, non-2xx/3xx answers and timeouts, as wrk counts them.
    pub(super) errors: u64,
    /// The server's peak resident set size (VmHWM) at the end of the run.
    pub(super) peak_rss_kib: u64,
    /// The SQLite write-ahead log's size at the end of the run (renkou only).
    pub(super) wal_bytes: Option<u64>,
    /// CPU time (user + system) the server and wrk used during the measured run, seconds.
    pub(super) server_cpu: f64,
    pub(super) wrk_cpu: f64,
    /// Bytes the server read and wrote through system calls during the run (/proc/PID/io
    /// rchar and wchar: files and sockets alike).
    pub(super) read_bytes: u64,
    pub(super) written_bytes: u64,
    /// The measured run's length as wrk reports it, seconds.
    pub(super) secs: f64,
    /// CPU time used on the machine by everything else during the run, seconds: other people's
    /// work on a shared machine, which makes a run noisy.
    pub(super) other_cpu: f64,
}

impl RunResult {
    /// Server reads and writes per request, KiB (a response is about 1 KiB of that).
    pub(super) fn kib_per_request(&self) -> (f64, f64) {
        let n = self.requests.max(1) as f64 * 1024.0;
        (self.read_bytes as f64 / n, self.written_bytes as f64 / n)
    }

    /// Server CPU per request, microseconds.
    pub(super) fn cpu_us_per_request(&self) -> f64 {
        self.server_cpu * 1e6 / self.requests.max(1) as f64
    }
}
