//! The app under test: a fresh app per test with its own database, signed-in browsers,
//! and the raw sends the certificates' tests need.

use super::*;

// ---------------------------------------------------------------------------------------------
// The app under test.

pub struct TestApp {
    /// Taken apart on a plain thread when the test ends (see `Drop`).
    inner: Option<Inner>,
    next_seq: AtomicU16,
}

struct Inner {
    state: AppState,
    router: Router,
    store: Mutex<Store>,
    /// Last, so the pool and the store close before the database goes.
    backend: Backend,
}

/// Runs synchronous database work on a thread of its own. The PostgreSQL client blocks on a
/// runtime of its own, which it may not do on a thread that is driving the test's runtime.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // A failing test is unwinding already; a second panic would abort.
            let _ = std::thread::spawn(move || drop(inner)).join();
        }
    }
}

impl TestApp {
    /// A fresh app on a fresh SQLite file, the area tree loaded.
    pub fn new() -> TestApp {
        TestApp::on(Backend::sqlite())
    }

    pub fn on(backend: Backend) -> TestApp {
        TestApp::configured(backend, |_| {})
    }

    /// An app configured as a deployment is (a public address for the verify page), changed
    /// by `configure`.
    pub fn configured(backend: Backend, configure: impl FnOnce(&mut AppState)) -> TestApp {
        // The pool opens where `renkou serve` opens it: on a thread of the running runtime
        // (opening a PostgreSQL connection there once panicked the real server).
        let pool = Pool::open(&backend.url, 4)
            .unwrap_or_else(|e| panic!("{}: the pool opens: {e}", backend.name));
        let mut state = AppState::new(pool);
        state.public_url = Some("http://renkou.test".to_string());
        configure(&mut state);
        let url = backend.url.clone();
        let store = off_runtime(move || {
            let mut store = Store::open(&url).expect("a second connection opens");
            store.upsert_areas(&tree()).expect("the area tree loads");
            store
        });
        let inner = Inner {
            router: renkou_web::router(state.clone()),
            state,
            store: Mutex::new(store),
            backend,
        };
        TestApp {
            inner: Some(inner),
            next_seq: AtomicU16::new(1),
        }
    }

    fn inner(&self) -> &Inner {
        self.inner.as_ref().expect("the app is alive")
    }

    pub fn state(&self) -> &AppState {
        &self.inner().state
    }

    pub fn backend(&self) -> &Backend {
        &self.inner().backend
    }

    /// Work on the test's own connection, beside the app's pool.
    pub fn with_db<T: Send>(&self, f: impl FnOnce(&mut Store) -> T + Send) -> T {
        let store = &self.inner().store;
        off_runtime(move || f(&mut store.lock().expect("store lock")))
    }

    /// Moves the app's clock (sessions, lockouts) forward.
    pub fn advance_mins(&self, mins: i64) {
        self.state().clock.advance(SignedDuration::from_mins(mins));
    }

    /// Follows a save's redirect as the browser would, with the message cookie it set: the
    /// page it leads to shows the message and clears the cookie.
    pub async fn follow_message(&self, browser: &Browser, res: &Resp) -> Resp {
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
        let message = res
            .cookie("renkou_message")
            .unwrap_or_else(|| panic!("a save leaves a message: {res}"));
        let page = self
            .send(
                browser
                    .get(res.location())
                    .cookie("renkou_message", &message),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page}");
        assert!(
            page.set_cookie_line("renkou_message")
                .is_some_and(|l| l.contains("Max-Age=0")),
            "the page that shows the message clears it"
        );
        page
    }

    pub async fn send(&self, req: Req) -> Resp {
        let description = format!("{} {}", req.method, req.path);
        let res = self
            .inner()
            .router
            .clone()
            .oneshot(req.build())
            .await
            .expect("the router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("a body").to_bytes();
        Resp {
            description,
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    // --- accounts ---

    pub fn add_account(&self, username: &str, role: Role, area: &str) -> Account {
        self.add_account_with(username, role, area, false)
    }

    /// An account whose password was generated or reset: it must be changed at first login.
    pub fn add_account_with(
        &self,
        username: &str,
        role: Role,
        area: &str,
        must_change_password: bool,
    ) -> Account {
        let new = NewAccount {
            username: Username::parse(username).expect("a valid username"),
            role,
            area: code_of(area),
            password_hash: password_hash().to_string(),
            must_change_password,
        };
        let entry = AuditEntry::new(AuditAction::AccountAdd, "account", AuditResult::Ok)
            .from_source("test-setup");
        self.with_db(|s| s.add_account(new, entry))
            .unwrap_or_else(|e| panic!("account {username}: {e}"))
    }

    /// The scope an account acts with, as the app builds it.
    pub fn scope_of(account: &Account) -> Scope {
        Scope::new(account.id, account.role, account.area.clone())
    }

    /// `POST /api/v1/tokens` with any password.
    pub async fn token_request(&self, username: &str, password: &str) -> Resp {
        self.send(post("/api/v1/tokens").json(&serde_json::json!({
            "username": username,
            "password": password,
        })))
        .await
    }

    /// A bearer token for an account (password [`PASSWORD`]).
    pub async fn token(&self, username: &str) -> String {
        let res = self.token_request(username, PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::CREATED,
            "token for {username}: {res}"
        );
        res.json()["token"]
            .as_str()
            .expect("a token string")
            .to_string()
    }

    /// The login form's CSRF token: (cookie value, form field value).
    pub async fn login_form(&self) -> (String, String) {
        let res = self.send(get("/login")).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let cookie = res
            .cookie(renkou_web::auth::LOGIN_CSRF_COOKIE)
            .expect("the login form sets its CSRF cookie");
        let field = hidden_csrf(&res.body).expect("the login form carries a CSRF field");
        (cookie, field)
    }

    /// Signs in through the login form, as a browser does.
    pub async fn login_submit(&self, username: &str, password: &str) -> Resp {
        let (cookie, field) = self.login_form().await;
        self.send(
            post("/login")
                .cookie(renkou_web::auth::LOGIN_CSRF_COOKIE, &cookie)
                .form(&[
                    ("csrf", field.as_str()),
                    ("next", "/"),
                    ("username", username),
                    ("password", password),
                ]),
        )
        .await
    }

    /// A signed-in browser: its session cookie and the CSRF token its pages carry.
    pub async fn browser(&self, username: &str) -> Browser {
        let res = self.login_submit(username, PASSWORD).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "login of {username}: {res}"
        );
        let session = res
            .cookie(renkou_web::auth::SESSION_COOKIE)
            .expect("a session cookie");
        // Every signed-in page carries the session's token (in the logout form at least).
        let page = self
            .send(get("/password").cookie(renkou_web::auth::SESSION_COOKIE, &session))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page}");
        let csrf = hidden_csrf(&page.body).expect("a page carries the CSRF token");
        Browser { session, csrf }
    }

    // --- people ---

    /// A new person's fields: a woman unless `sex` says otherwise, resident, unmarried, with a
    /// fresh valid ID number, her own household and a phone of her own.
    pub fn person(&self, name: &str, sex: Sex, born: Date, area: &str) -> PersonSpec {
        let n = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let seq = match sex {
            Sex::Male => (n % 500) * 2 + 1,
            Sex::Female => (n % 500) * 2,
        };
        let id = IdNumber::from_parts("340705", born, seq).expect("a valid ID number");
        let fields = [
            ("id_number", id.as_str().to_string()),
            ("name", name.to_string()),
            ("sex", sex.code().to_string()),
            ("birth_date", born.to_string()),
            ("ethnicity", "01".to_string()),
            ("marital_status", "10".to_string()),
            ("education", "20".to_string()),
            ("phone", format!("139{:08}", 10_000 + u32::from(n))),
            ("household_no", format!("H{n:04}")),
            ("relation", "02".to_string()),
            ("population_type", "resident".to_string()),
            ("registered_place", "340705 安徽省铜陵市铜官区".to_string()),
            ("area_code", area.to_string()),
            ("address", "长江路1号".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        PersonSpec { fields }
    }

    /// A woman of 31 in `area`.
    pub fn woman(&self, name: &str, area: &str) -> PersonSpec {
        self.person(name, Sex::Female, jiff::civil::date(1995, 3, 8), area)
    }

    /// Puts a person on the register directly (setup, not through the app).
    pub fn add(&self, spec: PersonSpec) -> Added {
        let data = spec.data();
        let copy = data.clone();
        let id = self
            .with_db(|s| s.add_person(copy, "test-setup", today()))
            .unwrap_or_else(|e| panic!("adding {:?}: {e}", spec.fields));
        Added { id, spec, data }
    }

    // --- the audit trail ---

    /// The newest row's sequence number (0 when the trail is empty).
    pub fn last_seq(&self) -> i64 {
        self.with_db(|s| s.audit_rows(&AuditFilter::default(), None, 1))
            .expect("audit rows")
            .first()
            .map_or(0, |r| r.seq)
    }

    /// Rows written after `seq`, oldest first.
    pub fn audit_after(&self, seq: i64) -> Vec<AuditRow> {
        let mut rows: Vec<AuditRow> = self
            .with_db(|s| s.audit_rows(&AuditFilter::default(), None, 100_000))
            .expect("audit rows")
            .into_iter()
            .filter(|r| r.seq > seq)
            .collect();
        rows.reverse();
        rows
    }

    pub fn audit(&self, filter: AuditFilter) -> Vec<AuditRow> {
        self.with_db(|s| s.audit_rows(&filter, None, 100_000))
            .expect("audit rows")
    }
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Browser {
    pub session: String,
    pub csrf: String,
}

impl Browser {
    /// A request carrying this browser's session cookie.
    pub fn with(&self, req: Req) -> Req {
        req.cookie(renkou_web::auth::SESSION_COOKIE, &self.session)
    }

    pub fn get(&self, path: &str) -> Req {
        self.with(get(path))
    }

    /// A form post with this session's CSRF token added.
    pub fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Req {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.with(post(path)).form(&all)
    }

    /// The upload form sent as a browser sends it: `fields` (kind, skip_invalid, upsert) and
    /// the file.
    pub fn upload(&self, fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Req {
        let boundary = "renkou-test-boundary";
        let mut body = Vec::new();
        let mut part = |name: &str, value: &str| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            )
        };
        part("csrf", &self.csrf);
        for (k, v) in fields {
            part(k, v);
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = self.with(post("/upload")).header(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        );
        req.body = body;
        req
    }
}

impl TestApp {
    /// Uploads a file as `browser` and waits for its report page.
    pub async fn upload_and_wait(
        &self,
        browser: &Browser,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> Resp {
        let res = self.send(browser.upload(fields, file_name, bytes)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");
        let job = res.location().to_string();
        for _ in 0..600 {
            let page = self.send(browser.get(&job)).await;
            if page.body.contains("id=\"summary\"")
                || page.body.contains("class=\"error\" role=\"alert\"")
            {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the import at {job} did not finish");
    }
}

// ---------------------------------------------------------------------------------------------
// Raw bodies and request sources (the certificates' tests).

impl TestApp {
    /// Sends a request as if it came from `ip` (the connection's address, as `renkou serve`
    /// passes it to the handlers).
    pub async fn send_from(&self, ip: &str, req: Req) -> Resp {
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().expect("an IP address");
        self.send_built(req.description(), {
            let mut built = req.build();
            built
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(addr));
            built
        })
        .await
        .0
    }

    /// Sends a request and keeps the body's bytes as they came (a PDF is not text).
    pub async fn send_bytes(&self, req: Req) -> (Resp, Vec<u8>) {
        let description = req.description();
        self.send_built(description, req.build()).await
    }

    async fn send_built(&self, description: String, req: Request<Body>) -> (Resp, Vec<u8>) {
        let res = self
            .inner()
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("a body").to_bytes();
        let resp = Resp {
            description,
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        (resp, bytes.to_vec())
    }
}
