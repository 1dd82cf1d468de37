//! The commands around the web app: serving it, staff accounts, the audit chain, and the demo
//! city's accounts.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use renkou_core::account::{Username, check_password};
use renkou_core::audit::AuditAction;
use renkou_core::{AreaCode, AreaLevel, Role};
use renkou_store::{AuditCheck, NewAccount, Store};
use renkou_web::{AppState, Pool, generated_password, hash_password};

use crate::{UsersCommand, cli_audit};

/// The demo's one password for every account: printed at start, for trying the app only.
pub const DEMO_PASSWORD: &str = "Renkou-demo-2026";

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

fn username(s: &str) -> Result<Username> {
    Username::parse(s).with_context(|| format!("用户名「{s}」"))
}

pub fn users(url: &str, command: UsersCommand) -> Result<ExitCode> {
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

/// One account per role, each in the area its work belongs to: the city for the bureau, the
/// station and the administrators; the first centre, committee and group for the rest.
pub fn demo_accounts(store: &mut Store) -> Result<Vec<(String, Role, AreaCode)>> {
    let areas = store.areas(None)?;
    let first = |level: AreaLevel| {
        areas
            .iter()
            .find(|a| a.level() == level)
            .map(|a| a.code.clone())
            .context("演示城市缺少区划")
    };
    let city = first(AreaLevel::District)?;
    let plan = [
        ("bureau", Role::Bureau, city.clone()),
        ("station", Role::Station, city.clone()),
        ("centre", Role::Centre, first(AreaLevel::Centre)?),
        (
            "officer",
            Role::CommitteeOfficer,
            first(AreaLevel::Committee)?,
        ),
        (
            "migrant",
            Role::MigrantCoordinator,
            first(AreaLevel::Committee)?,
        ),
        ("leader", Role::GroupLeader, first(AreaLevel::Group)?),
        ("sysadmin", Role::SystemAdmin, city.clone()),
        ("secadmin", Role::SecurityAdmin, city.clone()),
        ("auditor", Role::AuditAdmin, city),
    ];
    let hash = hash_password(DEMO_PASSWORD);
    let mut made = Vec::new();
    for (name, role, area) in plan {
        store.add_account(
            NewAccount {
                username: username(name)?,
                role,
                area: area.clone(),
                password_hash: hash.clone(),
                must_change_password: false,
            },
            cli_audit(AuditAction::AccountAdd, "account")
                .detail(format!("role={} area={area} demo", role.key())),
        )?;
        made.push((name.to_string(), role, area));
    }
    Ok(made)
}

/// A few documents in every state, so the demo's queues have work in them: applications taken
/// by the demo officer for people of its committee, some issued by the station, one sent back,
/// one printed and handed over by the centre.
pub fn demo_certificates(store: &mut Store, today: jiff::civil::Date) -> Result<usize> {
    use renkou_core::certificate::{Application, Step};
    use renkou_core::{Actor, CertificateKind, PersonStatus, PopulationType, Scope, Sex};
    use renkou_store::{PersonFilter, StepInput};

    let accounts = store.accounts()?;
    let actor = |name: &str| -> Result<Actor> {
        let a = accounts
            .iter()
            .find(|a| a.username.as_str() == name)
            .with_context(|| format!("演示账户 {name}"))?;
        Ok(Actor {
            scope: Scope::new(a.id, a.role, a.area.clone()),
            username: name.to_string(),
            source: "demo".to_string(),
        })
    };
    let (officer, station, centre) = (actor("officer")?, actor("station")?, actor("centre")?);
    let people = store.persons_for(&officer, &PersonFilter::default(), None, 400)?;
    let adults: Vec<_> = people
        .iter()
        .filter(|p| p.status == PersonStatus::Active && p.data.id_number.is_some())
        .filter(|p| (20..=45).contains(&p.data.age_on(today)))
        .collect();
    let wives = adults
        .iter()
        .filter(|p| p.data.sex == Sex::Female && p.data.marital_status.is_married());
    let residents = adults
        .iter()
        .filter(|p| p.data.population_type == PopulationType::Resident);
    let mut plan: Vec<(CertificateKind, renkou_core::PersonId)> = Vec::new();
    plan.extend(
        wives
            .take(4)
            .map(|p| (CertificateKind::BirthRegistration, p.id)),
    );
    plan.extend(
        residents
            .clone()
            .take(4)
            .map(|p| (CertificateKind::ReproductiveHealthCard, p.id)),
    );
    plan.extend(
        residents
            .skip(4)
            .take(3)
            .map(|p| (CertificateKind::MigrantCertificate, p.id)),
    );
    let mut made = 0;
    for (i, (kind, person)) in plan.into_iter().enumerate() {
        // Another open application or a valid card is refused: skip, the demo needs no more.
        let Ok(c) = store.apply_certificate(&officer, person, kind, Application::default(), today)
        else {
            continue;
        };
        made += 1;
        let take = |store: &mut Store, who: &Actor, step: Step, input: StepInput| {
            store.certificate_step(who, c.id, step, input, today)
        };
        match i % 4 {
            // Left waiting for review.
            0 => {}
            1 => {
                let _ = take(store, &station, Step::Issue, StepInput::default());
            }
            2 => {
                if take(store, &station, Step::Issue, StepInput::default()).is_ok() {
                    let copies = StepInput {
                        copies: Some(1),
                        ..StepInput::default()
                    };
                    take(store, &centre, Step::Print, copies)?;
                    take(store, &centre, Step::Deliver, StepInput::default())?;
                }
            }
            _ => {
                let back = StepInput {
                    reason: Some("请补充配偶信息或外出去向".into()),
                    ..StepInput::default()
                };
                let _ = take(store, &station, Step::Return, back);
            }
        }
    }
    Ok(made)
}
