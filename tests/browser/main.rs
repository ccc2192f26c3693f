//! The admin console in a real browser: headless Chromium driven through chromedriver
//! (WebDriver) against the real server, plus HTTP-level checks of what a browser would not
//! let a test do (a POST without its CSRF token, a lockout). Every page is also checked
//! with axe-core. `scripts/browser-deps.sh` (run by `just test`) installs Chromium,
//! chromedriver and axe-core.
//!
//! `CASTELLAN_CONSOLE_SCREENSHOTS=<dir>` makes `every_page_is_accessible` save a PNG of
//! each page there (`just console-screenshots`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod support;

mod access;
mod pages;
mod security;
