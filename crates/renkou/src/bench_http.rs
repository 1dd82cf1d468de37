//! `renkou bench http`: the API under load. With N people on the register (the demo city), wrk
//! drives `GET /api/v1/persons?q=<ID number>` (search) and `GET /api/v1/persons/{id}` (a whole
//! record: an audited view, one audit row written per request) against the real server, a
//! separate `renkou serve` process, with a bureau account's bearer token; and, in the same run
//! with the same wrk settings, an empty axum handler (`renkou bench empty-server`, hidden) as
//! the reference. Each measured run gets a fresh server process, waits until its start-up work
//! is done, warms up, then measures; the server's peak RSS (VmHWM), its CPU time and I/O per
//! request, wrk's CPU and everyone else's are read from /proc, so a noisy run shows. The
//! figures go into docs/BENCHMARKS.md ("Web API (issue 3)").

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use renkou_core::audit::AuditAction;
use renkou_core::{AreaLevel, PersonId, PersonStatus, Role, Scope};
use renkou_store::{NewAccount, PersonFilter, Store};

use super::{group_digits, machine};

/// The issue's targets: at least 40% of the empty handler's requests per second, p99 at most
/// 10 ms, the server's peak resident memory under 150 MB.
const TARGET_RATIO: f64 = 0.40;
const TARGET_P99_MS: f64 = 10.0;
const TARGET_RSS_MB: f64 = 150.0;

/// Below this many busy cores (of everything on the machine) it counts as quiet enough to
/// start a run; a run during which others used more than `NOISY_CORES` is marked noisy.
const QUIET_CORES: f64 = 0.15;
const NOISY_CORES: f64 = 0.25;

/// The benchmark's own account: a bureau officer at the city level, who may read every person
/// of the city (the widest scope a reading role has).
const USERNAME: &str = "bench-http";

#[derive(Args)]
pub struct HttpBench {
    /// People on the register (the demo city; births in its history add about 1%).
    #[arg(long, default_value_t = 1_000_000)]
    persons: u64,
    /// The SQLite database: used as it is when it already holds people, else the demo city is
    /// built into it. Default: bench-data/http-N.db. (The same option as renkou's global
    /// `--db`, which may also be given before `bench`; a SQLite file path. RENKOU_DB is never
    /// used: the benchmark adds an account and many audit rows.)
    #[arg(long)]
    db: Option<String>,
    /// How long each measured wrk run lasts (wrk's syntax: 20s, 1m).
    #[arg(long, default_value = "20s")]
    duration: String,
    /// An unmeasured wrk run before each measured one, on the same server process.
    #[arg(long, default_value = "5s")]
    warmup: String,
    /// wrk's open connections.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// wrk's threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Measured runs of each scenario; the report gives the median.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// How many random people the requests rotate through.
    #[arg(long, default_value_t = 10_000)]
    sample: usize,
    /// Only these scenarios (comma-separated): empty, me, search, view. The empty handler is
    /// always measured, as the reference.
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
    /// Build the demo city anew even if the database holds people (each view run adds about
    /// 190,000 audit rows at 1M, which make later runs slower: start fresh for comparable
    /// figures).
    #[arg(long)]
    fresh: bool,
    /// Before each run, wait up to this many seconds for the machine to be idle (0: don't).
    #[arg(long, default_value_t = 120)]
    wait_quiet: u64,
    /// Seed of the demo city and of the sample.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args)]
pub struct EmptyServerArgs {
    #[arg(long, default_value = "127.0.0.1:8081")]
    bind: SocketAddr,
}

/// The reference: an axum app whose one handler answers every request 200 "ok", on the same
/// kind of tokio runtime `renkou serve` uses. Runs until Ctrl-C (SIGINT).
pub fn empty_server(args: EmptyServerArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("启动异步运行时")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("绑定 {}", args.bind))?;
        let app = axum::Router::new().fallback(|| async { "ok" });
        println!("empty handler on http://{}/", args.bind);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("empty server")?;
        Ok(ExitCode::SUCCESS)
    })
}

// ---------------------------------------------------------------------------------------------
// Scenarios

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// The empty axum handler: the reference.
    Empty,
    /// `GET /api/v1/me`: the bearer token checked, nothing else read (a diagnostic).
    Me,
    /// `GET /api/v1/persons?q=<ID number>`.
    Search,
    /// `GET /api/v1/persons/{id}`: the whole record, one audit row per request.
    View,
}

const ALL: [Scenario; 4] = [
    Scenario::Empty,
    Scenario::Me,
    Scenario::Search,
    Scenario::View,
];

impl Scenario {
    fn key(self) -> &'static str {
        match self {
            Scenario::Empty => "empty",
            Scenario::Me => "me",
            Scenario::Search => "search",
            Scenario::View => "view",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Scenario::Empty => "empty axum handler (reference)",
            Scenario::Me => "GET /api/v1/me (token check only)",
            Scenario::Search => "GET /api/v1/persons?q=<ID number>",
            Scenario::View => "GET /api/v1/persons/{id} (+ audit row)",
        }
    }

    /// Whether the issue sets targets for it (the empty handler and `me` are for comparison).
    fn has_targets(self) -> bool {
        matches!(self, Scenario::Search | Scenario::View)
    }

    /// What each request's path is built from: `prefix` + the person's id or ID number.
    fn path_prefix(self) -> &'static str {
        match self {
            // The same request line as `view`, so the reference parses the same bytes.
            Scenario::Empty | Scenario::View => "/api/v1/persons/",
            Scenario::Me => "/api/v1/me?",
            Scenario::Search => "/api/v1/persons?q=",
        }
    }
}

/// One person the requests ask for.
struct Sampled {
    id: i64,
    id_number: String,
}

/// One measured wrk run.
#[derive(Debug, Clone)]
struct RunResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    requests: u64,
    /// Socket errors, non-2xx/3xx answers and timeouts, as wrk counts them.
    errors: u64,
    /// The server's peak resident set size (VmHWM) at the end of the run.
    peak_rss_kib: u64,
    /// The SQLite write-ahead log's size at the end of the run (renkou only).
    wal_bytes: Option<u64>,
    /// CPU time (user + system) the server and wrk used during the measured run, seconds.
    server_cpu: f64,
    wrk_cpu: f64,
    /// Bytes the server read and wrote through system calls during the run (/proc/PID/io
    /// rchar and wchar: files and sockets alike).
    read_bytes: u64,
    written_bytes: u64,
    /// The measured run's length as wrk reports it, seconds.
    secs: f64,
    /// CPU time used on the machine by everything else during the run, seconds: other people's
    /// work on a shared machine, which makes a run noisy.
    other_cpu: f64,
}

impl RunResult {
    /// Server reads and writes per request, KiB (a response is about 1 KiB of that).
    fn kib_per_request(&self) -> (f64, f64) {
        let n = self.requests.max(1) as f64 * 1024.0;
        (self.read_bytes as f64 / n, self.written_bytes as f64 / n)
    }

    /// Server CPU per request, microseconds.
    fn cpu_us_per_request(&self) -> f64 {
        self.server_cpu * 1e6 / self.requests.max(1) as f64
    }
}

// ---------------------------------------------------------------------------------------------
// The run as a whole

pub fn http_bench(b: HttpBench) -> Result<ExitCode> {
    let wrk = super::tool_version("wrk")
        .context("wrk not found on PATH: install it (Debian/Ubuntu: apt-get install wrk)")?;
    let wrk_version = wrk.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let duration = seconds(&b.duration).context("--duration")?;
    let warmup = seconds(&b.warmup).context("--warmup")?;
    if b.persons == 0 || b.sample == 0 || b.runs == 0 || b.connections == 0 || b.threads == 0 {
        bail!("--persons, --sample, --runs, --connections and --threads must be at least 1");
    }
    let scenarios: Vec<Scenario> = match &b.only {
        None => ALL.to_vec(),
        Some(keys) => {
            let mut chosen = vec![Scenario::Empty];
            for k in keys {
                let s = ALL
                    .iter()
                    .find(|s| s.key() == k.trim())
                    .with_context(|| format!("unknown scenario {k}: empty, me, search or view"))?;
                if !chosen.contains(s) {
                    chosen.push(*s);
                }
            }
            chosen
        }
    };
    // `--db` is also renkou's global option, which clap fills from RENKOU_DB too: the bench
    // writes an account and many audit rows, so it only takes a database named on its command
    // line, never one from the environment.
    let named = std::env::args().any(|a| a == "--db" || a.starts_with("--db="));
    let db = match b.db.as_ref().filter(|_| named) {
        Some(p) => PathBuf::from(p.strip_prefix("sqlite:").unwrap_or(p)),
        None => PathBuf::from(format!("bench-data/http-{}.db", b.persons)),
    };
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("创建目录 {}", dir.display()))?;
    }
    let db = fs::canonicalize(db.parent().unwrap_or(Path::new(".")))?.join(
        db.file_name()
            .context("--db must name a file")?
            .to_string_lossy()
            .as_ref(),
    );
    // Two benchmarks on one database would reset each other's password and share the CPU.
    let _lock = lock_exclusive(&PathBuf::from(format!("{}.bench-lock", db.display())))?;
    // The wrk scripts and every run's logs (server, warm-up, wrk), beside the database.
    let dir = db.parent().expect("an absolute path").join("http-logs");
    fs::create_dir_all(&dir).with_context(|| format!("创建目录 {}", dir.display()))?;
    let url = db.display().to_string();

    if b.fresh {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{url}{suffix}"));
            if p.exists() {
                fs::remove_file(&p).with_context(|| format!("删除 {}", p.display()))?;
            }
        }
    }
    // The register, the account and the sample, all before any server starts; the store is
    // closed again before the first server opens the file.
    let (people, password, persons_on_register, account_id) = {
        let mut store = Store::open(&url)?;
        let on_register = ensure_people(&mut store, &url, b.persons, b.seed)?;
        let (scope, password) = ensure_account(&mut store)?;
        let started = Instant::now();
        let people = sample(&mut store, &scope, b.sample, b.seed)?;
        println!(
            "sampled {} people (active, with an ID number, in the account's scope) in {:.1} s",
            group_digits(people.len() as u64),
            started.elapsed().as_secs_f64()
        );
        (people, password, on_register, scope.account_id)
    };
    let scripts: Vec<(Scenario, PathBuf)> = scenarios
        .iter()
        .map(|s| {
            let path = dir.join(format!("{}.lua", s.key()));
            write_script(&path, *s, &people).map(|_| (*s, path))
        })
        .collect::<Result<_>>()?;

    let exe = std::env::current_exe().context("找不到 renkou 程序本身")?;
    let settings = WrkSettings {
        threads: b.threads,
        connections: b.connections,
        duration,
        warmup,
    };
    println!(
        "wrk: {} threads, {} connections, {duration} s measured after {warmup} s of warm-up; {} runs of {} scenarios, each on a fresh server process",
        b.threads,
        b.connections,
        b.runs,
        scenarios.len()
    );
    let mut results: Vec<(Scenario, Vec<RunResult>)> =
        scenarios.iter().map(|s| (*s, Vec::new())).collect();
    let mut failures = Vec::new();
    let mut disk = Vec::new();
    for round in 1..=b.runs {
        // The disk every view waits on: its fsync latency now, for the record.
        let (p50, p99, max) = fsync_probe(&dir, 200)?;
        println!(
            "round {round}: disk fsync of 16 KiB ×200: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms"
        );
        disk.push((p50, p99, max));
        // The scenarios take turns, so a noisy minute of the machine spreads over all of them.
        for (scenario, script) in &scripts {
            if b.wait_quiet > 0 {
                wait_for_quiet(Duration::from_secs(b.wait_quiet))?;
            }
            print!("run {round}/{}: {:<7} … ", b.runs, scenario.key());
            std::io::stdout().flush()?;
            let log = dir.join(format!("{}-{round}", scenario.key()));
            let outcome = measure(
                &exe, &url, *scenario, script, &people[0], &password, &settings, &log,
            );
            match outcome {
                Ok(r) => {
                    println!(
                        "{:>6.0} req/s  p50 {:>5.2} ms  p99 {:>6.2} ms  max {:>6.1} ms  RSS {:>5.1} MB  CPU: server {:>3.0} µs/req {:.2} cores, wrk {:.2} cores  I/O per req: read {:.1} KiB, written {:.1} KiB{}{}{}",
                        r.rps,
                        r.p50_ms,
                        r.p99_ms,
                        r.max_ms,
                        mb(r.peak_rss_kib),
                        r.cpu_us_per_request(),
                        r.server_cpu / r.secs,
                        r.wrk_cpu / r.secs,
                        r.kib_per_request().0,
                        r.kib_per_request().1,
                        r.wal_bytes
                            .map(|w| format!("  WAL {:.1} MB", w as f64 / 1e6))
                            .unwrap_or_default(),
                        if r.other_cpu / r.secs > NOISY_CORES {
                            format!("  NOISY: others used {:.2} cores", r.other_cpu / r.secs)
                        } else {
                            String::new()
                        },
                        if r.errors > 0 {
                            format!("  {} ERRORS", r.errors)
                        } else {
                            String::new()
                        }
                    );
                    if r.errors > 0 {
                        failures.push(format!(
                            "{} run {round}: {} of {} requests failed (see {}.wrk.log)",
                            scenario.key(),
                            r.errors,
                            r.requests,
                            log.display()
                        ));
                    }
                    results
                        .iter_mut()
                        .find(|(s, _)| s == scenario)
                        .expect("every scenario has a slot")
                        .1
                        .push(r);
                }
                Err(e) => {
                    println!("failed");
                    failures.push(format!("{} run {round}: {e:#}", scenario.key()));
                }
            }
        }
    }
    // The account's password was never shown to anyone; disable it until the next run.
    Store::open(&url)?.set_disabled(
        account_id,
        true,
        crate::cli_audit(AuditAction::AccountDisable, "account").detail("bench http done"),
    )?;
    print_report(
        &results,
        &failures,
        &RunInfo {
            persons: persons_on_register,
            wrk: wrk_version,
            settings,
            runs: b.runs,
            sample: people.len(),
            db: url,
            disk,
        },
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// How long the disk under `dir` takes to make a small write durable: `n` times, 16 KiB
/// written over the same place of a scratch file and fsync'd (what a WAL commit does).
/// Returns p50, p99 and max in milliseconds.
fn fsync_probe(dir: &Path, n: usize) -> Result<(f64, f64, f64)> {
    use std::os::unix::fs::FileExt;
    let path = dir.join("fsync-probe.tmp");
    let file = File::create(&path).with_context(|| format!("创建 {}", path.display()))?;
    let block = vec![0x5au8; 16 * 1024];
    file.write_all_at(&block, 0)?;
    file.sync_all()?;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let mut b = block.clone();
        b[0] = i as u8;
        let started = Instant::now();
        file.write_all_at(&b, 0)?;
        file.sync_all()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    drop(file);
    let _ = fs::remove_file(&path);
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok((at(0.5), at(0.99), times[times.len() - 1]))
}

/// Holds an exclusive lock on `path` (created if need be) while the returned file lives.
fn lock_exclusive(path: &Path) -> Result<File> {
    use std::os::fd::AsRawFd;
    let file = File::create(path).with_context(|| format!("创建 {}", path.display()))?;
    // SAFETY: flock on a descriptor we own; it is released when the file is closed.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r != 0 {
        bail!(
            "another `renkou bench http` is using this database ({} is locked)",
            path.display()
        );
    }
    Ok(file)
}

/// "20s", "2m", "1h" or plain seconds.
fn seconds(text: &str) -> Result<u64> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits
        .parse()
        .with_context(|| format!("{text}: expected a duration such as 20s or 1m"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => bail!("{text}: expected a duration such as 20s or 1m"),
    };
    if secs == 0 {
        bail!("{text}: at least one second");
    }
    Ok(secs)
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

// ---------------------------------------------------------------------------------------------
// The register, the account and the sample

/// Builds the demo city of `persons` people unless the register already holds people; returns
/// how many it holds.
fn ensure_people(store: &mut Store, url: &str, persons: u64, seed: u64) -> Result<u64> {
    let everyone = PersonFilter {
        all_statuses: true,
        ..Default::default()
    };
    let held = store.count_persons(&everyone)?;
    if held > 0 {
        println!(
            "using {url}: {} people already on the register",
            group_digits(held)
        );
        return Ok(held);
    }
    println!(
        "building the demo city of {} people into {url} (not measured) …",
        group_digits(persons)
    );
    let started = Instant::now();
    let mut bar = crate::progress::Bar::new();
    use renkou_core::import::Progress;
    bar.phase("生成", Some(persons));
    crate::demo::build(store, persons, seed, crate::today(), &mut |n| {
        bar.advance(n)
    })?;
    bar.finish();
    let held = store.count_persons(&everyone)?;
    println!(
        "  {} people in {:.1} s",
        group_digits(held),
        started.elapsed().as_secs_f64()
    );
    Ok(held)
}

/// The bureau account at the city level, with a fresh password for this run (which also ends
/// any session left from an earlier run). Returns its scope and the password.
fn ensure_account(store: &mut Store) -> Result<(Scope, String)> {
    let areas = store.areas(None)?;
    let city = areas
        .iter()
        .find(|a| a.level() == AreaLevel::District)
        .map(|a| a.code.clone())
        .context("the register has no district: no area for the bench account")?;
    let password = renkou_web::generated_password();
    let hash = renkou_web::hash_password(&password);
    let audit = |action| crate::cli_audit(action, "account").detail("bench http");
    let id = match store.account_for_login(USERNAME)? {
        Some((account, _)) => {
            if account.role != Role::Bureau || account.area != city {
                store.set_role(
                    account.id,
                    Role::Bureau,
                    &city,
                    audit(AuditAction::AccountRole),
                )?;
            }
            if account.disabled {
                store.set_disabled(account.id, false, audit(AuditAction::AccountEnable))?;
            }
            if account.locked_until.is_some() {
                store.unlock(account.id, audit(AuditAction::AccountUnlock))?;
            }
            store.set_password(
                account.id,
                &hash,
                false,
                audit(AuditAction::AccountResetPassword),
            )?;
            account.id
        }
        None => {
            let username = renkou_core::account::Username::parse(USERNAME)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            store
                .add_account(
                    NewAccount {
                        username,
                        role: Role::Bureau,
                        area: city.clone(),
                        password_hash: hash,
                        must_change_password: false,
                    },
                    audit(AuditAction::AccountAdd),
                )?
                .id
        }
    };
    println!("account {USERNAME}: role bureau (市人口计生局) at {city}, the whole city in scope");
    Ok((Scope::new(id, Role::Bureau, city), password))
}

/// `n` random people the account may open and find by ID number: active, with an ID number,
/// in scope. Drawn by random internal id (ids are dense: 1..=count), so the requests touch
/// the whole register as real use would, not a warm corner of it.
fn sample(store: &mut Store, scope: &Scope, n: usize, seed: u64) -> Result<Vec<Sampled>> {
    let everyone = PersonFilter {
        all_statuses: true,
        ..Default::default()
    };
    let max_id = store.count_persons(&everyone)? as i64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6874_7470);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    let mut tries = 0usize;
    while out.len() < n {
        tries += 1;
        if tries > n * 50 + 1000 {
            bail!(
                "found only {} people to sample among {max_id} ids",
                out.len()
            );
        }
        let id = rng.random_range(1..=max_id.max(1));
        if !seen.insert(id) {
            continue;
        }
        let Some(p) = store.person(PersonId(id))? else {
            continue;
        };
        let Some(id_number) = &p.data.id_number else {
            continue;
        };
        if p.status != PersonStatus::Active
            || !scope.covers(&p.data)
            || !p.data.area_code.is_within(&scope.area)
        {
            continue;
        }
        out.push(Sampled {
            id,
            id_number: id_number.to_string(),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// wrk

#[derive(Clone, Copy)]
struct WrkSettings {
    threads: u32,
    connections: u32,
    duration: u64,
    warmup: u64,
}

/// A wrk script that rotates through the sample. Every request is formatted once, in each
/// wrk thread's `init` (so wrk spends no Lua time per request beyond picking the next one);
/// the bearer token comes as the script's argument; each thread starts at another offset;
/// `done` prints one line the bench parses.
fn write_script(path: &Path, scenario: Scenario, people: &[Sampled]) -> Result<()> {
    let mut s = String::new();
    s.push_str("-- Written by `renkou bench http`.\nlocal keys = {\n");
    for p in people {
        match scenario {
            Scenario::Search => writeln!(s, "\"{}\",", p.id_number)?,
            _ => writeln!(s, "\"{}\",", p.id)?,
        }
    }
    write!(
        s,
        r#"}}
local prefix = "{prefix}"
local requests = {{}}
local n = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end

function init(args)
  if args[1] then
    wrk.headers["Authorization"] = "Bearer " .. args[1]
  end
  for i, key in ipairs(keys) do
    requests[i] = wrk.format("GET", prefix .. key)
  end
  n = (offset or 0) % #requests
end

function request()
  n = n % #requests + 1
  return requests[n]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
"#,
        prefix = scenario.path_prefix()
    )?;
    fs::write(path, s).with_context(|| format!("写入 {}", path.display()))
}

/// Runs wrk to the end; its output (also kept in `log`) and the CPU time it used.
fn run_wrk(
    url: &str,
    script: &Path,
    token: Option<&str>,
    settings: &WrkSettings,
    secs: u64,
    log: &Path,
) -> Result<(String, f64)> {
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{}", settings.threads))
        .arg(format!("-c{}", settings.connections))
        .arg(format!("-d{secs}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(script)
        .arg(url);
    if let Some(t) = token {
        cmd.arg("--").arg(t);
    }
    let out = File::create(log).with_context(|| format!("创建 {}", log.display()))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .context("starting wrk")?;
    // wait4, not Child::wait: it also gives wrk's own CPU time.
    let (status, usage) = super::wait_measured(child.id())?;
    let text = fs::read_to_string(log)?;
    if status != 0 {
        bail!("wrk failed (exit status {status}): {}", text.trim());
    }
    Ok((text, cpu_secs(&usage)))
}

/// CPU time all processors have spent busy since boot (user, nice, system, irq, softirq,
/// steal), seconds, from /proc/stat.
fn machine_busy_secs() -> Result<f64> {
    let stat = fs::read_to_string("/proc/stat")?;
    let cpu = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("no cpu line in /proc/stat")?;
    let v: Vec<f64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 8 {
        bail!("short cpu line in /proc/stat");
    }
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok((v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz)
}

/// Waits (up to `limit`) until the machine has been nearly idle for two seconds, so a run does
/// not start in the middle of someone else's build. Returns the load it last saw, in cores.
fn wait_for_quiet(limit: Duration) -> Result<f64> {
    let started = Instant::now();
    let mut told = false;
    loop {
        let before = machine_busy_secs()?;
        std::thread::sleep(Duration::from_secs(2));
        let load = (machine_busy_secs()? - before) / 2.0;
        if load < QUIET_CORES || started.elapsed() >= limit {
            if told {
                println!(
                    "(waited {:.0} s for other work to finish; now {load:.2} cores busy)",
                    started.elapsed().as_secs_f64()
                );
            }
            return Ok(load);
        }
        if !told {
            print!("(the machine is busy: {load:.2} cores; waiting) ");
            std::io::stdout().flush()?;
            told = true;
        }
    }
}

fn cpu_secs(usage: &libc::rusage) -> f64 {
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Waits until the process has been nearly idle (under 5% of a core) for half a second.
fn settle(pid: u32, limit: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        let before = process_cpu_secs(pid)?;
        std::thread::sleep(Duration::from_millis(500));
        let busy = (process_cpu_secs(pid)? - before) / 0.5;
        if busy < 0.05 || started.elapsed() >= limit {
            return Ok(());
        }
    }
}

/// Bytes a live process has read and written through system calls so far (rchar, wchar).
fn process_io(pid: u32) -> Result<(u64, u64)> {
    let io = fs::read_to_string(format!("/proc/{pid}/io"))?;
    let field = |key: &str| -> Result<u64> {
        super::proc_field(&io, key)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {key} in /proc/PID/io"))
    };
    Ok((field("rchar")?, field("wchar")?))
}

/// CPU time (user + system) a live process has used so far, seconds, from /proc/PID/stat.
fn process_cpu_secs(pid: u32) -> Result<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("unreadable /proc/PID/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5); `rest` starts at field 3.
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields
            .get(i - 3)
            .context("short /proc/PID/stat")?
            .parse::<f64>()?)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok((ticks(14)? + ticks(15)?) / hz)
}

/// requests, seconds, p50 ms, p99 ms, max ms, errors.
fn parse_result(text: &str) -> Result<(u64, f64, f64, f64, f64, u64)> {
    let line = text
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .with_context(|| format!("no RESULT line in wrk's output:\n{text}"))?;
    let field = |name: &str| -> Result<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .with_context(|| format!("no {name} in {line}"))?
            .parse()
            .with_context(|| format!("{name} in {line}"))
    };
    let requests = field("requests")?;
    let secs = field("duration_us")? as f64 / 1e6;
    Ok((
        requests,
        secs,
        field("p50_us")? as f64 / 1000.0,
        field("p99_us")? as f64 / 1000.0,
        field("max_us")? as f64 / 1000.0,
        field("errors")?,
    ))
}

// ---------------------------------------------------------------------------------------------
// One measured run: a fresh server, a token, a check, the warm-up, the run, the server's peak

/// A server child process, stopped (SIGINT, then SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(exe: &Path, db: &str, scenario: Scenario, log: &Path) -> Result<Server> {
        let addr = free_port()?;
        // /proc/self/exe is this very program even if the file at `exe` is rebuilt meanwhile
        // (a shared target directory): every server of a run is the code being measured.
        let this = Path::new("/proc/self/exe");
        let mut cmd = Command::new(if this.exists() { this } else { exe });
        std::os::unix::process::CommandExt::arg0(&mut cmd, exe);
        match scenario {
            Scenario::Empty => cmd
                .arg("bench")
                .arg("empty-server")
                .arg("--bind")
                .arg(addr.to_string()),
            _ => cmd
                .arg("--db")
                .arg(db)
                .arg("serve")
                .arg("--bind")
                .arg(addr.to_string()),
        };
        let out = File::create(log)?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let child = cmd.spawn().context("starting the server")?;
        let mut server = Server { child, addr };
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before listening; see {}",
                    log.display()
                );
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!(
                    "the server did not listen on {addr} within 60 s; see {}",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// VmHWM (peak resident set size) and VmRSS of the server, KiB.
    fn peak_rss_kib(&self) -> Result<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        super::proc_field(&status, "VmHWM")
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .context("no VmHWM in /proc/PID/status")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on now.
fn free_port() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    Ok(l.local_addr()?)
}

#[allow(clippy::too_many_arguments)]
fn measure(
    exe: &Path,
    db: &str,
    scenario: Scenario,
    script: &Path,
    probe: &Sampled,
    password: &str,
    settings: &WrkSettings,
    log: &Path,
) -> Result<RunResult> {
    let server_log = log.with_extension("server.log");
    let server = Server::start(exe, db, scenario, &server_log)?;
    let token = match scenario {
        Scenario::Empty => None,
        _ => Some(get_token(server.addr, password)?),
    };
    check(server.addr, scenario, token.as_deref(), probe)?;
    // The server's own start-up work (at 1M people, the home counts of the city, a scan of
    // several seconds) is over before the load starts: the runs measure the steady state.
    settle(server.child.id(), Duration::from_secs(60))?;
    let url = server.url();
    if settings.warmup > 0 {
        run_wrk(
            &url,
            script,
            token.as_deref(),
            settings,
            settings.warmup,
            &log.with_extension("warmup.log"),
        )?;
    }
    let cpu_before = process_cpu_secs(server.child.id())?;
    let machine_before = machine_busy_secs()?;
    let io_before = process_io(server.child.id())?;
    let (text, wrk_cpu) = run_wrk(
        &url,
        script,
        token.as_deref(),
        settings,
        settings.duration,
        &log.with_extension("wrk.log"),
    )?;
    let server_cpu = process_cpu_secs(server.child.id())? - cpu_before;
    let other_cpu = (machine_busy_secs()? - machine_before - server_cpu - wrk_cpu).max(0.0);
    let io_after = process_io(server.child.id())?;
    let peak_rss_kib = server.peak_rss_kib()?;
    let wal_bytes = match scenario {
        Scenario::Empty => None,
        _ => fs::metadata(format!("{db}-wal")).ok().map(|m| m.len()),
    };
    drop(server);
    let (requests, secs, p50_ms, p99_ms, max_ms, errors) = parse_result(&text)?;
    Ok(RunResult {
        rps: requests as f64 / secs,
        server_cpu,
        wrk_cpu,
        other_cpu,
        read_bytes: io_after.0.saturating_sub(io_before.0),
        written_bytes: io_after.1.saturating_sub(io_before.1),
        secs,
        p50_ms,
        p99_ms,
        max_ms,
        requests,
        errors,
        peak_rss_kib,
        wal_bytes,
    })
}

/// One HTTP/1.1 exchange on a new connection: status and body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        write!(req, "Authorization: Bearer {t}\r\n")?;
    }
    if let Some(b) = body {
        write!(
            req,
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        )?;
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .context("no end of headers in the answer")?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line: {head}"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

fn get_token(addr: SocketAddr, password: &str) -> Result<String> {
    let body = serde_json::json!({ "username": USERNAME, "password": password }).to_string();
    let (status, answer) = http(addr, "POST", "/api/v1/tokens", None, Some(&body))?;
    if status != 201 {
        bail!("POST /api/v1/tokens: {status} {answer}");
    }
    let v: serde_json::Value = serde_json::from_str(&answer)?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no token in {answer}"))
}

/// One request of the scenario before the load, checked: the right person comes back, so the
/// run measures the work and not a fast refusal.
fn check(addr: SocketAddr, scenario: Scenario, token: Option<&str>, probe: &Sampled) -> Result<()> {
    let path = match scenario {
        Scenario::Search => format!("{}{}", scenario.path_prefix(), probe.id_number),
        _ => format!("{}{}", scenario.path_prefix(), probe.id),
    };
    let (status, body) = http(addr, "GET", &path, token, None)?;
    if status != 200 {
        bail!("GET {path}: {status} {body}");
    }
    let ok = match scenario {
        Scenario::Empty => true,
        Scenario::Me => body.contains(USERNAME),
        Scenario::Search => {
            let v: serde_json::Value = serde_json::from_str(&body)?;
            v["count"] == 1 && v["items"][0]["id"] == probe.id
        }
        Scenario::View => {
            let v: serde_json::Value = serde_json::from_str(&body)?;
            v["person"]["id"] == probe.id
        }
    };
    if !ok {
        bail!("GET {path} did not answer with person {}: {body}", probe.id);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The report

struct RunInfo {
    /// Each round's disk fsync latency: p50, p99, max (ms).
    disk: Vec<(f64, f64, f64)>,
    persons: u64,
    wrk: String,
    settings: WrkSettings,
    runs: u32,
    sample: usize,
    db: String,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn pass(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

fn print_report(results: &[(Scenario, Vec<RunResult>)], failures: &[String], c: &RunInfo) {
    let empty_rps = results
        .iter()
        .find(|(s, _)| *s == Scenario::Empty)
        .map(|(_, r)| median(r.iter().map(|r| r.rps).collect()))
        .filter(|x| x.is_finite());
    println!();
    println!(
        "renkou bench http: {} people, {}",
        group_digits(c.persons),
        jiff::Zoned::now().date()
    );
    println!("machine: {}", machine());
    if !c.disk.is_empty() {
        let each: Vec<String> = c
            .disk
            .iter()
            .map(|(p50, p99, max)| format!("{p50:.2}/{p99:.2}/{max:.1}"))
            .collect();
        println!(
            "disk fsync of 16 KiB before each round, p50/p99/max ms: {}",
            each.join(", ")
        );
    }
    println!(
        "{}: {} threads, {} connections, {} s per run after {} s warm-up; {} people rotated; medians of {} runs; {}",
        c.wrk,
        c.settings.threads,
        c.settings.connections,
        c.settings.duration,
        c.settings.warmup,
        group_digits(c.sample as u64),
        c.runs,
        c.db
    );
    println!();
    println!(
        "| scenario | req/s | ratio to empty | p50 | p99 | server peak RSS | server CPU per request | server I/O per request (read / written) | ≥ {:.0}% | p99 ≤ {TARGET_P99_MS} ms | RSS < {TARGET_RSS_MB} MB |",
        TARGET_RATIO * 100.0
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |");
    for (scenario, runs) in results {
        if runs.is_empty() {
            println!("| {} | — | — | — | — | — | — | — | | | |", scenario.label());
            continue;
        }
        let rps = median(runs.iter().map(|r| r.rps).collect());
        let p50 = median(runs.iter().map(|r| r.p50_ms).collect());
        let p99 = median(runs.iter().map(|r| r.p99_ms).collect());
        // Memory: the worst run, not the median (the target is a ceiling).
        let rss = runs.iter().map(|r| mb(r.peak_rss_kib)).fold(0.0, f64::max);
        let cpu = median(runs.iter().map(|r| r.cpu_us_per_request()).collect());
        let read = median(runs.iter().map(|r| r.kib_per_request().0).collect());
        let written = median(runs.iter().map(|r| r.kib_per_request().1).collect());
        let ratio = empty_rps.map(|e| rps / e);
        let ratio_text = ratio.map_or("—".to_string(), |x| format!("{:.0}%", x * 100.0));
        let targets = if scenario.has_targets() {
            format!(
                "{} | {} | {}",
                ratio.map_or("n/a", |x| pass(x >= TARGET_RATIO)),
                pass(p99 <= TARGET_P99_MS),
                pass(rss < TARGET_RSS_MB)
            )
        } else {
            " | | ".to_string()
        };
        println!(
            "| {} | {rps:.0} | {ratio_text} | {p50:.2} ms | {p99:.2} ms | {rss:.1} MB | {cpu:.0} µs | {read:.1} / {written:.1} KiB | {targets} |",
            scenario.label()
        );
    }
    println!();
    println!(
        "runs (req/s / p99 ms / peak RSS MB / server CPU µs per request / cores busy: server + wrk + others):"
    );
    for (scenario, runs) in results {
        let each: Vec<String> = runs
            .iter()
            .map(|r| {
                format!(
                    "{:.0} / {:.2} / {:.1} / {:.0} / {:.2}+{:.2}+{:.2}",
                    r.rps,
                    r.p99_ms,
                    mb(r.peak_rss_kib),
                    r.cpu_us_per_request(),
                    r.server_cpu / r.secs,
                    r.wrk_cpu / r.secs,
                    r.other_cpu / r.secs
                )
            })
            .collect();
        println!("  {:<7} {}", scenario.key(), each.join("   "));
    }
    if !failures.is_empty() {
        println!();
        for f in failures {
            println!("failed: {f}");
        }
    }
    println!();
    println!(
        "ratio = median req/s over the empty handler's median req/s in this run; p50/p99 are wrk's (closed loop), medians over runs; peak RSS = the server process's VmHWM, worst run; server CPU = its user + system time over the measured run / requests (median); I/O = /proc/PID/io rchar and wchar (files and sockets) / requests."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_wrk_writes_them() {
        assert_eq!(seconds("20s").unwrap(), 20);
        assert_eq!(seconds("2m").unwrap(), 120);
        assert_eq!(seconds("15").unwrap(), 15);
        assert!(seconds("0s").is_err());
        assert!(seconds("1.5s").is_err());
        assert!(seconds("20ms").is_err());
    }

    #[test]
    fn the_result_line_is_read_back() {
        let text = "Running 20s test\nRESULT requests=2000 duration_us=2000000 p50_us=1500 \
                    p99_us=9000 max_us=12000 errors=3\nRequests/sec: 1000\n";
        let (requests, secs, p50, p99, max, errors) = parse_result(text).unwrap();
        assert_eq!((requests, errors), (2000, 3));
        assert_eq!((secs, p50, p99, max), (2.0, 1.5, 9.0, 12.0));
        assert!(parse_result("no result here").is_err());
    }

    #[test]
    fn medians_of_odd_and_even_runs() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            "hello world"
        );
    }

    #[test]
    fn scripts_rotate_through_the_sample() {
        let dir = tempfile::tempdir().unwrap();
        let people = vec![
            Sampled {
                id: 7,
                id_number: "11010519491231002X".into(),
            },
            Sampled {
                id: 9,
                id_number: "110105194912310029".into(),
            },
        ];
        let search = dir.path().join("search.lua");
        write_script(&search, Scenario::Search, &people).unwrap();
        let text = fs::read_to_string(&search).unwrap();
        assert!(text.contains("\"11010519491231002X\","));
        assert!(text.contains("local prefix = \"/api/v1/persons?q=\""));
        let view = dir.path().join("view.lua");
        write_script(&view, Scenario::View, &people).unwrap();
        let text = fs::read_to_string(&view).unwrap();
        assert!(text.contains("\"7\",\n\"9\","));
        assert!(text.contains("local prefix = \"/api/v1/persons/\""));
    }
}
