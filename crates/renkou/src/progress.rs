//! Progress bars on a terminal; nothing when output is piped or redirected.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use renkou_core::import::Progress;

pub struct Bar {
    bar: Option<ProgressBar>,
    visible: bool,
}

impl Bar {
    pub fn new() -> Self {
        Bar {
            bar: None,
            visible: std::io::stderr().is_terminal(),
        }
    }
}

impl Progress for Bar {
    fn phase(&mut self, label: &str, total: Option<u64>) {
        if let Some(old) = self.bar.take() {
            old.finish_and_clear();
        }
        if !self.visible {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {human_pos}/{human_len} 行 {per_sec} 剩余 {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {human_pos} 行 {per_sec}")
                    .expect("valid template"),
            ),
        };
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some(bar);
    }

    fn advance(&mut self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
