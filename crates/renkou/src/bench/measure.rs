//! Timing child processes: wall clock from spawn to exit, and each child's own peak memory.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// One timed child process.
pub(super) struct Measured {
    pub(super) secs: f64,
    /// The child's own peak resident set size, from wait4.
    pub(super) peak_rss_kib: u64,
    /// This process's peak RSS when the child started: the least wait4 can report for it.
    pub(super) floor_kib: u64,
}

/// Runs `cmd` with stdout and stderr into `log` (no terminal, so no progress bar), timing it
/// wall-clock from spawn to exit. Fails when it does not exit with status 0.
pub(super) fn run_measured(cmd: &mut Command, log: &Path) -> Result<Measured> {
    let out = File::create(log).with_context(|| format!("创建 {}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    let floor_kib = own_peak_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("启动 {:?}", cmd.get_program()))?;
    let (status, usage) = wait_measured(child.id())?;
    let secs = started.elapsed().as_secs_f64();
    if status != 0 {
        bail!(
            "{:?} exited with status {status}; last lines of {}:\n{}",
            cmd.get_program(),
            log.display(),
            tail(log, 12)
        );
    }
    // Linux reports ru_maxrss in KiB.
    Ok(Measured {
        secs,
        peak_rss_kib: usage.ru_maxrss.max(0) as u64,
        floor_kib,
    })
}

/// Reaps the child with wait4, which gives that one child's resource usage (RUSAGE_CHILDREN
/// would mix in every earlier child). The child is spawned with vfork semantics, and Linux
/// carries the parent's peak RSS over into the child at exec, so the bench process itself
/// must stay small for the figure to be the child's own.
pub(super) fn wait_measured(pid: u32) -> Result<(i32, libc::rusage)> {
    let pid = pid as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child and not yet reaped (std's Child never waited for it);
        // both pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err).context("wait4");
        }
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Ok((code, usage))
}

/// The bench process's own peak RSS in KiB, for the report.
fn own_peak_rss_kib() -> Option<u64> {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid `who` and a pointer to a live local; getrusage only writes it.
    let r = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    (r == 0).then(|| usage.ru_maxrss.max(0) as u64)
}

/// The last `n` lines of a log, for a failure message.
pub(super) fn tail(log: &Path, n: usize) -> String {
    let Ok(f) = File::open(log) else {
        return String::new();
    };
    let lines: Vec<String> = BufReader::new(f).lines().map_while(Result::ok).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether a tool is on PATH: running `tool --version` works.
pub(super) fn tool_version(tool: &str) -> Option<String> {
    let out = Command::new(tool).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
