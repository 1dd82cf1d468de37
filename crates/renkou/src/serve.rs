//! `renkou serve`: the staff web app and the JSON API, until Ctrl-C.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use renkou_core::{AreaCode, Role};
use renkou_web::{AppState, Pool};

use crate::demo::DEMO_PASSWORD;

/// Serves until Ctrl-C, printing where, and the demo accounts when there are any.
pub fn serve(
    url: &str,
    bind: SocketAddr,
    secure_cookies: bool,
    public_url: Option<String>,
    accounts: &[(String, Role, AreaCode)],
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("启动异步运行时")?;
    // Uploads, reports and exports in the making are personal data: nothing this server
    // writes is readable by other users of the machine.
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe { libc::umask(0o077) };
    let uploads = upload_dir(url)?;
    runtime.block_on(async {
        let pool = Pool::open(url, 8)?;
        let mut state = AppState::new(pool);
        state.secure_cookies = secure_cookies;
        state.public_url = public_url;
        state.files = std::sync::Arc::new(
            renkou_web::pages::upload::Files::under(&uploads)
                .with_context(|| format!("上传目录 {}", uploads.display()))?,
        );
        println!("renkou 正在 http://{bind}/ 提供服务（API 文档：http://{bind}/api/docs），按 Ctrl-C 停止");
        if !accounts.is_empty() {
            println!("演示账户（密码都是 {DEMO_PASSWORD}）：");
            for (username, role, area) in accounts {
                println!(
                    "  {username:<10} {:<20} {:<16} {}",
                    role.key(),
                    area.as_str(),
                    role.name_zh()
                );
            }
        }
        renkou_web::serve(state, bind)
            .await
            .with_context(|| format!("在 {bind} 上提供服务"))?;
        Ok(())
    })
}

/// Where uploads wait while they are imported: beside a SQLite file, or in the working
/// directory for PostgreSQL.
fn upload_dir(url: &str) -> Result<std::path::PathBuf> {
    let beside_file = renkou_store::sqlite_path(url)
        .and_then(|f| std::path::Path::new(f).parent())
        .filter(|dir| !dir.as_os_str().is_empty());
    let base = match beside_file {
        Some(dir) => dir.to_path_buf(),
        None => std::env::current_dir().context("当前目录")?,
    };
    Ok(base.join("renkou-uploads"))
}
