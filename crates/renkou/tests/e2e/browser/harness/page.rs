//! The page a test drives, and the ID numbers it types and reads.

use super::*;

/// The browser as a test drives it, with the failures phrased as what the user would see.
#[derive(Clone)]
pub struct Page {
    pub c: Client,
    pub world: &'static World,
}

impl Page {
    pub async fn goto(&self, path: &str) {
        let url = self.world.url(path);
        self.c
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The path of the page shown (without the query).
    pub async fn path(&self) -> String {
        self.c.current_url().await.unwrap().path().to_string()
    }

    /// The text of the page's body, to make failures readable.
    pub async fn body_text(&self) -> String {
        match self.c.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    async fn context(&self) -> String {
        let url = self
            .c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text: String = self.body_text().await.chars().take(1500).collect();
        format!("on {url}, which shows:\n{text}")
    }

    /// The element, waiting for it to appear.
    pub async fn el(&self, css: &str) -> Element {
        match self
            .c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("no `{css}` ({e}) {}", self.context().await),
        }
    }

    pub async fn xpath(&self, xpath: &str) -> Element {
        match self
            .c
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(xpath))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("no `{xpath}` ({e}) {}", self.context().await),
        }
    }

    /// The elements there are now (the page is loaded by then).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.c.find_all(Locator::Css(css)).await.unwrap()
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self.all(css).await.is_empty()
    }

    pub async fn text(&self, css: &str) -> String {
        self.el(css).await.text().await.unwrap().trim().to_string()
    }

    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.all(css).await {
            out.push(e.text().await.unwrap().trim().to_string());
        }
        out
    }

    /// The current value of a form field.
    pub async fn value(&self, css: &str) -> String {
        self.el(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Types into a field as a person would, after emptying it.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.el(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
        let typed = self.value(css).await;
        assert_eq!(typed, text, "typing into `{css}`");
    }

    pub async fn click(&self, css: &str) {
        self.el(css).await.click().await.unwrap();
    }

    /// Clicks something that loads a new page (a form's button, a link) and waits until the
    /// new page is there: the old one is marked, the new one is not.
    pub async fn click_to_load(&self, css: &str) {
        let e = self.el(css).await;
        self.c
            .execute("window.renkouOldPage = true", vec![])
            .await
            .unwrap();
        e.click().await.unwrap();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let fresh = self
                .c
                .execute(
                    "return window.renkouOldPage !== true && document.readyState === 'complete'",
                    vec![],
                )
                .await;
            if matches!(fresh, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "clicking `{css}` loaded no new page {}",
                    self.context().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's path is `path`.
    pub async fn wait_path(&self, path: &str) {
        let deadline = Instant::now() + PATIENCE;
        while self.path().await != path {
            if Instant::now() > deadline {
                panic!("expected to be on {path} {}", self.context().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The HTTP status of the page shown, as the browser received it.
    pub async fn status(&self) -> u64 {
        self.c
            .execute(
                "return performance.getEntriesByType('navigation')[0].responseStatus",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .expect("a navigation status")
    }

    /// Asserts that the element's text contains `want`, waiting for it a while: after a click
    /// the page may not have been replaced yet.
    pub async fn assert_text(&self, css: &str, want: &str) {
        let deadline = Instant::now() + PATIENCE;
        let mut got = String::new();
        while Instant::now() < deadline {
            if let Ok(e) = self.c.find(Locator::Css(css)).await
                && let Ok(t) = e.text().await
            {
                if t.contains(want) {
                    return;
                }
                got = t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "`{css}` reads {got:?}, not containing {want:?} {}",
            self.context().await
        );
    }

    pub async fn login(&self, username: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
    }

    /// Logs in with the demo password and waits for the home page.
    ///
    /// The server allows an account ten logins a minute, as in production; the tests log in
    /// more often than that, so a throttled login waits for the window to pass and tries again.
    pub async fn login_ok(&self, username: &str) {
        for _ in 0..10 {
            self.login(username, PASSWORD).await;
            let mut throttled = false;
            for _ in 0..50 {
                if self.path().await == "/" {
                    self.el("ul.counts").await;
                    return;
                }
                let shown = self
                    .c
                    .execute(
                        "return document.body ? document.body.innerText : ''",
                        vec![],
                    )
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                if shown.contains("尝试太频繁") {
                    throttled = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if !throttled {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_secs(8)).await;
        }
        self.wait_path("/").await;
        self.el("ul.counts").await;
    }

    /// Searches the people list the way the search box does, and returns the rows' links.
    pub async fn search(&self, q: &str) {
        if self.path().await != "/persons" {
            self.goto("/persons").await;
        }
        self.fill("#q", q).await;
        self.click_to_load("form.filters button[type=submit]").await;
        let url = self.c.current_url().await.unwrap();
        let got = url
            .query_pairs()
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.into_owned());
        assert_eq!(
            (url.path(), got.as_deref()),
            ("/persons", Some(q)),
            "searching {q:?} leads to {url}"
        );
        self.el("p.count").await;
    }

    /// Rows of the people list: (name, masked ID number, link to the record).
    pub async fn person_rows(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for tr in self.all("table.grid tbody tr").await {
            let link = tr.find(Locator::Css("td:nth-child(1) a")).await.unwrap();
            let name = link.text().await.unwrap().trim().to_string();
            let href = link.attr("href").await.unwrap().unwrap_or_default();
            let id = tr
                .find(Locator::Css("td:nth-child(2)"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .trim()
                .to_string();
            out.push((name, id, href));
        }
        out
    }

    /// The value shown beside a label in a person's record.
    pub async fn record_field(&self, label: &str) -> String {
        let xpath = format!(
            "//dl[contains(@class,'record')]//dt[normalize-space()='{label}']\
             /following-sibling::dd"
        );
        let dd = self.xpath(&xpath).await;
        dd.text().await.unwrap().trim().to_string()
    }

    /// Saves a PNG of the page into $RENKOU_SCREENSHOTS, when it is set.
    pub async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("RENKOU_SCREENSHOTS") else {
            return;
        };
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        match self.c.screenshot().await {
            Ok(png) => {
                let path = dir.join(format!("{name}.png"));
                std::fs::write(&path, png).unwrap();
                eprintln!("screenshot: {}", path.display());
            }
            Err(e) => eprintln!("screenshot {name} failed: {e}"),
        }
    }
}

/// The form lists show an ID number in: 110105********0123.
pub fn masked(id_number: &str) -> String {
    format!("{}********{}", &id_number[..6], &id_number[14..])
}

/// A valid 18-character ID number (GB 11643: ISO 7064 MOD 11-2 check character).
pub fn id_number(address: &str, birth: &str, sequence: u16) -> String {
    let body = format!("{address}{}{sequence:03}", birth.replace('-', ""));
    assert_eq!(body.len(), 17);
    format!("{body}{}", check_char(&body))
}

pub fn check_char(body: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}
