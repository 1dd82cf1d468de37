//! axe-core in the browser tests: `page.assert_accessible()` runs axe on the page shown and
//! fails the test with each violation (rule, impact, where). axe-core comes from npm
//! (`npm install --prefix target/axe axe-core@4`, as .ci/run does), or from RENKOU_AXE, the
//! path of an `axe.min.js`.

use super::*;

/// The axe-core script, read once.
fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = std::env::var_os("RENKOU_AXE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../target/axe/node_modules/axe-core/axe.min.js")
            });
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is not at {} ({e}): run `npm install --prefix target/axe axe-core@4` \
                 or set RENKOU_AXE",
                path.display()
            )
        })
    })
}

impl Page {
    /// No axe-core violation on the page shown (WCAG 2.1 A and AA, and axe's best practices).
    pub async fn assert_accessible(&self) {
        let loaded = self
            .c
            .execute(
                &format!("{}\n;return typeof axe === 'object';", axe_source()),
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe-core did not load: {e}"));
        assert_eq!(
            loaded,
            serde_json::Value::Bool(true),
            "axe-core did not load"
        );
        let found = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
                   .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help
                       + ' at ' + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("axe-core did not run: {e}"));
        let violations: Vec<String> = serde_json::from_value(found).unwrap_or_default();
        let url = self
            .c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        assert!(
            violations.is_empty(),
            "accessibility violations on {url}:\n{}",
            violations.join("\n")
        );
    }
}
