//! The servers measured: `renkou serve` and the empty axum handler (`renkou bench
//! empty-server`, hidden), each a fresh child process per run; and one measured run on it.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;

use super::client::{check, get_token};
use super::scenario::{RunResult, Sampled, Scenario};
use super::wrk::{
    WrkSettings, machine_busy_secs, parse_result, process_cpu_secs, process_io, run_wrk, settle,
};

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

/// A server child process, stopped (SIGINT, then SIGKILL) when dropped.
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) addr: SocketAddr,
}

impl Server {
    pub(super) fn start(exe: &Path, db: &str, scenario: Scenario, log: &Path) -> Result<Server> {
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

    pub(super) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// VmHWM (peak resident set size) and VmRSS of the server, KiB.
    pub(super) fn peak_rss_kib(&self) -> Result<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        super::super::proc_field(&status, "VmHWM")
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
pub(super) fn free_port() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    Ok(l.local_addr()?)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn measure(
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
