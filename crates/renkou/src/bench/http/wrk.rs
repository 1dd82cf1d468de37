//! wrk: its Lua scripts, its runs, and what the machine did meanwhile (from /proc).

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::super::measure::wait_measured;
use super::super::proc_field;
use super::QUIET_CORES;
use super::scenario::{Sampled, Scenario};

#[derive(Clone, Copy)]
pub(super) struct WrkSettings {
    pub(super) threads: u32,
    pub(super) connections: u32,
    pub(super) duration: u64,
    pub(super) warmup: u64,
}

/// A wrk script that rotates through the sample. Every request is formatted once, in each
/// wrk thread's `init` (so wrk spends no Lua time per request beyond picking the next one);
/// the bearer token comes as the script's argument; each thread starts at another offset;
/// `done` prints one line the bench parses.
pub(super) fn write_script(path: &Path, scenario: Scenario, people: &[Sampled]) -> Result<()> {
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
pub(super) fn run_wrk(
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
    let (status, usage) = wait_measured(child.id())?;
    let text = fs::read_to_string(log)?;
    if status != 0 {
        bail!("wrk failed (exit status {status}): {}", text.trim());
    }
    Ok((text, cpu_secs(&usage)))
}

/// CPU time all processors have spent busy since boot (user, nice, system, irq, softirq,
/// steal), seconds, from /proc/stat.
pub(super) fn machine_busy_secs() -> Result<f64> {
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
pub(super) fn wait_for_quiet(limit: Duration) -> Result<f64> {
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

pub(super) fn cpu_secs(usage: &libc::rusage) -> f64 {
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Waits until the process has been nearly idle (under 5% of a core) for half a second.
pub(super) fn settle(pid: u32, limit: Duration) -> Result<()> {
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
pub(super) fn process_io(pid: u32) -> Result<(u64, u64)> {
    let io = fs::read_to_string(format!("/proc/{pid}/io"))?;
    let field = |key: &str| -> Result<u64> {
        proc_field(&io, key)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {key} in /proc/PID/io"))
    };
    Ok((field("rchar")?, field("wchar")?))
}

/// CPU time (user + system) a live process has used so far, seconds, from /proc/PID/stat.
pub(super) fn process_cpu_secs(pid: u32) -> Result<f64> {
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
pub(super) fn parse_result(text: &str) -> Result<(u64, f64, f64, f64, f64, u64)> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
