//! `renkou users`: staff accounts from the command line.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use renkou_core::account::{Username, check_password};
use renkou_core::audit::AuditAction;
use renkou_core::{AreaCode, Role};
use renkou_store::{NewAccount, Store};
use renkou_web::{generated_password, hash_password};

use crate::{UsersCommand, cli_audit};

pub fn username(s: &str) -> Result<Username> {
    Username::parse(s).with_context(|| format!("用户名「{s}」"))
}

pub fn run(url: &str, command: UsersCommand) -> Result<ExitCode> {
    let mut store = Store::open(url)?;
    match command {
        UsersCommand::Add {
            username: name,
            role,
            area,
            password,
        } => {
            let username = username(&name)?;
            let role: Role = role.parse()?;
            let area = AreaCode::parse(&area).with_context(|| format!("区划代码「{area}」"))?;
            let (password, generated) = match password {
                Some(p) => {
                    check_password(&p, username.as_str())?;
                    (p, false)
                }
                None => (generated_password(), true),
            };
            let account = store.add_account(
                NewAccount {
                    username,
                    role,
                    area: area.clone(),
                    password_hash: hash_password(&password),
                    must_change_password: generated,
                },
                cli_audit(AuditAction::AccountAdd, "account")
                    .detail(format!("role={} area={area}", role.key())),
            )?;
            println!(
                "已创建账户 {}（{}，{}）",
                account.username,
                role.name_zh(),
                account.area
            );
            if generated {
                println!("初始密码：{password}（只显示这一次；首次登录必须修改）");
            }
        }
        UsersCommand::List => {
            // Chinese headings are two columns wide each: pad them by hand.
            println!(
                "用户名{}角色{}区划{}状态",
                " ".repeat(15),
                " ".repeat(17),
                " ".repeat(13)
            );
            for a in store.accounts()? {
                let mut state = vec![if a.disabled { "停用" } else { "正常" }];
                if a.is_locked(jiff::Timestamp::now()) {
                    state.push("锁定");
                }
                if a.must_change_password {
                    state.push("待改密码");
                }
                println!(
                    "{:<20} {:<20} {:<16} {}",
                    a.username.as_str(),
                    a.role.key(),
                    a.area.as_str(),
                    state.join("，")
                );
            }
        }
        UsersCommand::Disable { username: name } => {
            let account = find(&mut store, &name)?;
            store.set_disabled(
                account,
                true,
                cli_audit(AuditAction::AccountDisable, "account"),
            )?;
            println!("已停用账户 {name}，它的会话已全部结束");
        }
        UsersCommand::ResetPassword {
            username: name,
            password,
        } => {
            let account = find(&mut store, &name)?;
            let (password, generated) = match password {
                Some(p) => {
                    check_password(&p, &name)?;
                    (p, false)
                }
                None => (generated_password(), true),
            };
            store.set_password(
                account,
                &hash_password(&password),
                generated,
                cli_audit(AuditAction::AccountResetPassword, "account"),
            )?;
            println!("已重置账户 {name} 的密码，它的会话已全部结束");
            if generated {
                println!("新密码：{password}（只显示这一次；登录后必须修改）");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn find(store: &mut Store, name: &str) -> Result<i64> {
    match store.account_for_login(name)? {
        Some((a, _)) => Ok(a.id),
        None => bail!("没有账户「{name}」"),
    }
}
