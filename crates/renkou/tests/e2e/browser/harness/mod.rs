//! What the browser tests stand on: one demo city and one `renkou serve` for the whole test
//! binary, and for each test its own chromedriver and Chromium (own profile directory), ended
//! when the test ends, passed or failed.
//!
//! Processes are tied to the test binary: the server and every chromedriver are started with
//! `PR_SET_PDEATHSIG` from a thread that lives as long as the binary, so nothing is left
//! running when the binary exits, however it exits; a test's chromedriver runs in its own
//! process group, which is killed whole (Chromium included) when the test is over.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

mod axe;
mod page;
pub use page::*;

/// The password of every demo account.
pub const PASSWORD: &str = "Renkou-demo-2026";
/// The committee (居委会) of the `officer` demo account.
pub const OFFICER_AREA: &str = "340705001001";
/// How long a page or an element may take to appear.
const PATIENCE: Duration = Duration::from_secs(20);

/// A person of the demo city, as `renkou persons export` wrote them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id_number: String,
    pub name: String,
    pub birth_date: String,
    pub phone: String,
    pub household_no: String,
}

/// The demo city and its server, shared by every test of the binary.
pub struct World {
    pub dir: PathBuf,
    pub base: String,
    /// The people the officer's committee serves, in the export's order.
    pub officer_people: Vec<Person>,
    chromium: PathBuf,
    chromedriver: PathBuf,
    _server: Child,
}

/// Which database the world's server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    /// A schema of its own on the RENKOU_TEST_PG server.
    Postgres,
}

/// The shared world, or None when the browser tests are to be skipped (RENKOU_SKIP_BROWSER=1,
/// or no RENKOU_TEST_PG for the PostgreSQL world). Panics, failing the test, when Chromium or
/// chromedriver is missing.
pub fn world(db: Db) -> Option<&'static World> {
    let pg_url = match db {
        Db::Sqlite => None,
        Db::Postgres => match std::env::var("RENKOU_TEST_PG") {
            Ok(base) => Some(base),
            Err(_) => {
                eprintln!("RENKOU_TEST_PG not set; the PostgreSQL browser test is skipped");
                return None;
            }
        },
    };
    if std::env::var("RENKOU_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("browser test skipped (RENKOU_SKIP_BROWSER=1)");
        return None;
    }
    let found = (find_program("RENKOU_CHROMIUM", &["chromium", "chromium-browser"]))
        .zip(find_program("RENKOU_CHROMEDRIVER", &["chromedriver"]));
    let Some((chromium, chromedriver)) = found else {
        panic!(
            "headless Chromium is needed for the browser tests and was not found: install \
             Debian's packages with `apt-get install -y chromium chromium-driver` (or set \
             RENKOU_SKIP_BROWSER=1 to skip these tests)"
        );
    };
    static SQLITE: OnceLock<World> = OnceLock::new();
    static POSTGRES: OnceLock<World> = OnceLock::new();
    Some(match pg_url {
        None => SQLITE.get_or_init(|| World::build(None, chromium, chromedriver)),
        Some(base) => POSTGRES.get_or_init(|| World::build(Some(base), chromium, chromedriver)),
    })
}

/// A fresh schema on the PostgreSQL server for this run, and the URL that works in it.
fn pg_schema(base: &str) -> String {
    let schema = format!("browser_{}", std::process::id());
    let mut admin =
        postgres::Client::connect(base, postgres::NoTls).expect("RENKOU_TEST_PG connects");
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .expect("a fresh schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// An executable named by an environment variable, or the first of `names` on the PATH.
fn find_program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

impl World {
    fn build(pg: Option<String>, chromium: PathBuf, chromedriver: PathBuf) -> World {
        let dir = run_dir(pg.is_some());
        let db = match &pg {
            Some(base) => pg_schema(base),
            None => dir.join("demo.db").display().to_string(),
        };
        let renkou = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_renkou"))
                .arg("--db")
                .arg(&db)
                .args(args)
                .output()
                .expect("renkou runs");
            assert!(
                out.status.success(),
                "renkou {args:?} failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        renkou(&["demo", "--persons", "3000", "--no-serve"]);
        let export = dir.join("officer.csv");
        renkou(&[
            "persons",
            "export",
            "--area",
            OFFICER_AREA,
            "--out",
            export.to_str().unwrap(),
        ]);
        let officer_people = read_export(&export);
        assert!(
            officer_people.len() > 20,
            "the demo committee {OFFICER_AREA} has only {} people",
            officer_people.len()
        );

        let port = free_port();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_renkou"));
        cmd.arg("--db")
            .arg(&db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            // Certificates print only with the address the public checks them at.
            .args(["--public-url", &format!("http://127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let mut server = spawn_tied(cmd, false);
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_status(port, "/login") != Some(200) {
            if let Ok(Some(status)) = server.try_wait() {
                panic!(
                    "renkou serve exited ({status}):\n{}",
                    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "renkou serve did not answer on {base} within a minute"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        World {
            dir,
            base,
            officer_people,
            chromium,
            chromedriver,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A directory for this run under the target directory; those of earlier runs whose process
/// is gone are removed (a static is never dropped, so a run cannot clean up after itself).
fn run_dir(postgres: bool) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(if postgres {
        "browser-pg"
    } else {
        "browser"
    });
    std::fs::create_dir_all(&root).unwrap();
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("run-")
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = root.join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read_export(path: &Path) -> Vec<Person> {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("export has no column {name}: {header:?}"))
    };
    let (id, name, birth, phone, household) = (
        col("身份证号"),
        col("姓名"),
        col("出生日期"),
        col("联系电话"),
        col("户编号"),
    );
    // The demo's values hold no commas or quotes, so a plain split reads them.
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            Person {
                id_number: cells[id].to_string(),
                name: cells[name].to_string(),
                birth_date: cells[birth].to_string(),
                phone: cells[phone].to_string(),
                household_no: cells[household].to_string(),
            }
        })
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status code of a plain GET, or None while nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Starts a command from a thread that lives as long as the test binary, with the kernel told
/// to kill the child when that thread (so the binary) is gone. `own_group` puts the child in a
/// process group of its own, so that it can be ended with everything it started.
fn spawn_tied(cmd: Command, own_group: bool) -> Child {
    type Job = (Command, bool, mpsc::Sender<std::io::Result<Child>>);
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("browser-test-keeper".into())
            .spawn(move || {
                // The sender lives in a static, so this loop ends only with the binary.
                for (mut cmd, own_group, reply) in rx {
                    if own_group {
                        cmd.process_group(0);
                    }
                    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
                    unsafe {
                        cmd.pre_exec(|| {
                            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                                return Err(std::io::Error::last_os_error());
                            }
                            Ok(())
                        });
                    }
                    let _ = reply.send(cmd.spawn());
                }
            })
            .unwrap();
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    keeper
        .lock()
        .unwrap()
        .send((cmd, own_group, tx))
        .expect("keeper thread");
    rx.recv()
        .expect("keeper thread")
        .unwrap_or_else(|e| panic!("cannot start a process: {e}"))
}

/// One test's browser: chromedriver in its own process group, and the WebDriver session.
struct Browser {
    driver: Child,
    client: Client,
}

impl Browser {
    async fn start(world: &World, name: &str) -> Browser {
        let profile = world.dir.join(format!("profile-{name}"));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let port = free_port();
        let log =
            std::fs::File::create(world.dir.join(format!("chromedriver-{name}.log"))).unwrap();
        let mut cmd = Command::new(&world.chromedriver);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let mut driver = spawn_tied(cmd, true);
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_status(port, "/status") != Some(200) {
            if let Ok(Some(status)) = driver.try_wait() {
                panic!("chromedriver exited at start ({status})");
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            "--lang=zh-CN",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = serde_json::json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": world.chromium.display().to_string(),
                "args": args,
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                kill_group(&mut driver);
                panic!("cannot start headless Chromium through chromedriver: {e}");
            }
        };
        Browser { driver, client }
    }
}

fn kill_group(child: &mut Child) {
    // SAFETY: a plain kill(2) of the process group this harness created for the child.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
    let _ = child.wait();
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// Runs one browser test: a fresh browser, the body, then the browser ended whatever happened.
/// A failing body leaves a screenshot of the page it failed on when RENKOU_SCREENSHOTS is set.
pub fn run<F, Fut>(name: &'static str, body: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_on(Db::Sqlite, name, body)
}

/// `run` against the world on the given database.
pub fn run_on<F, Fut>(db: Db, name: &'static str, body: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(world) = world(db) else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let browser = Browser::start(world, name).await;
        let page = Page {
            c: browser.client.clone(),
            world,
        };
        let outcome = tokio::spawn(body(page.clone())).await;
        if outcome.is_err() {
            page.screenshot(&format!("{name}-failed")).await;
        }
        let _ = browser.client.clone().close().await;
        drop(browser);
        if let Err(e) = outcome {
            match e.try_into_panic() {
                Ok(p) => std::panic::resume_unwind(p),
                Err(e) => panic!("{name}: {e}"),
            }
        }
    });
}
