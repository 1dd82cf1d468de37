//! `renkou audit verify`: walks the audit log's hash chain.

use std::process::ExitCode;

use anyhow::Result;
use renkou_store::{AuditCheck, Store};

pub fn verify(url: &str) -> Result<ExitCode> {
    let mut store = Store::open(url)?;
    match store.verify_audit()? {
        AuditCheck::Intact { rows } => {
            println!("审计日志完整：{rows} 行，哈希链校验通过");
            Ok(ExitCode::SUCCESS)
        }
        AuditCheck::Broken { seq, reason } => {
            println!("审计日志第 {seq} 行校验失败：{reason}");
            Ok(ExitCode::from(1))
        }
    }
}
