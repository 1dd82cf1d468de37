//! End-to-end, against the real binary, as one test binary (so the test harness is built and
//! linked once): `cli`, the commands on real files and the server they start, and `browser`,
//! the pages in headless Chromium.

mod browser;
mod cli;
