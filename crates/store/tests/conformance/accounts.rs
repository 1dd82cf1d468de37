//! Accounts and sessions: unique names, lockout, idle and logged-out sessions.

use jiff::Timestamp;
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult};
use renkou_core::*;
use renkou_store::{AuditCheck, SessionKind, Store, StoreError};

use crate::helpers::*;

#[test]
fn accounts_are_unique_and_lock_after_five_failures_in_fifteen_minutes() {
    each_backend(|s| {
        let a = s
            .add_account(
                new_account("li.ming", Role::CommitteeOfficer, C1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        assert_eq!(a.username.as_str(), "li.ming");
        assert_eq!((a.role, a.area.as_str()), (Role::CommitteeOfficer, C1));
        assert!(!a.disabled && !a.must_change_password && a.locked_until.is_none());
        assert_eq!(s.account(a.id).unwrap(), Some(a.clone()));
        let (found, hash) = s.account_for_login("li.ming").unwrap().unwrap();
        assert_eq!((found.id, hash.as_str()), (a.id, "argon2-of-li.ming"));
        assert!(s.account_for_login("nobody").unwrap().is_none());
        assert_eq!(
            audit_of(s, AuditAction::AccountAdd, &a.id.to_string()).len(),
            1
        );

        // The same username again, in another role: refused on the username field.
        let err = s
            .add_account(
                new_account("li.ming", Role::Bureau, "340705"),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap_err();
        assert_eq!(field_of(&err), ["username"], "{err}");
        // An area the register does not know: refused on the area field.
        let err = s
            .add_account(
                new_account("wang.fang", Role::CommitteeOfficer, "340705001009"),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap_err();
        assert_eq!(field_of(&err), ["area"], "{err}");
        assert_eq!(s.accounts().unwrap().len(), 1);
        assert_eq!(all_audit(s).len(), 1, "refusals add no account.add row");

        // Four failures in four minutes: not locked.
        let t = t0();
        for i in 0..4 {
            let lock = s
                .login_failed(a.id, t + mins(i), login_entry(AuditResult::Failed))
                .unwrap();
            assert_eq!(lock, None, "failure {}", i + 1);
        }
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!(acc.locked_until, None);
        assert!(!acc.is_locked(t + mins(4)));
        // The fifth: locked for thirty minutes from it.
        let lock = s
            .login_failed(a.id, t + mins(4), login_entry(AuditResult::Failed))
            .unwrap();
        assert_eq!(lock, Some(t + mins(34)));
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!(acc.locked_until, Some(t + mins(34)));
        assert!(acc.is_locked(t + mins(4)));
        assert!(acc.is_locked(t + mins(33)));
        assert!(!acc.is_locked(t + mins(34)));
        assert!(
            s.account_for_login("li.ming")
                .unwrap()
                .unwrap()
                .0
                .is_locked(t + mins(5))
        );
        let details: Vec<Option<String>> = all_audit(s)
            .iter()
            .take(2)
            .map(|r| r.detail.clone())
            .collect();
        assert_eq!(
            details,
            [
                Some(format!("locked_until={}", t + mins(34))),
                Some("failures=4".into())
            ]
        );

        // Unlocking clears the lock and the count.
        s.unlock(a.id, by_admin(AuditAction::AccountUnlock))
            .unwrap();
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!(acc.locked_until, None);
        assert!(!acc.is_locked(t + mins(5)));
        assert_eq!(
            s.login_failed(a.id, t + mins(6), login_entry(AuditResult::Failed))
                .unwrap(),
            None,
            "the failures before the unlock no longer count"
        );
        assert_eq!(
            audit_of(s, AuditAction::AccountUnlock, &a.id.to_string()).len(),
            1
        );

        // Failures older than fifteen minutes do not count.
        let t1 = t + mins(120);
        for i in 0..4 {
            assert_eq!(
                s.login_failed(a.id, t1 + mins(i), login_entry(AuditResult::Failed))
                    .unwrap(),
                None
            );
        }
        // 17 to 20 minutes later: the failures at t1 .. t1+3 have left the window one by one.
        for i in 17..=20 {
            assert_eq!(
                s.login_failed(a.id, t1 + mins(i), login_entry(AuditResult::Failed))
                    .unwrap(),
                None,
                "failure at +{i} min"
            );
        }
        assert!(!s.account(a.id).unwrap().unwrap().is_locked(t1 + mins(20)));
        // Five within the window again: locked.
        assert_eq!(
            s.login_failed(a.id, t1 + mins(21), login_entry(AuditResult::Failed))
                .unwrap(),
            Some(t1 + mins(51))
        );

        // A successful login forgets the failures so far.
        s.unlock(a.id, by_admin(AuditAction::AccountUnlock))
            .unwrap();
        let t2 = t + mins(300);
        for i in 0..4 {
            s.login_failed(a.id, t2 + mins(i), login_entry(AuditResult::Failed))
                .unwrap();
        }
        s.start_session(
            a.id,
            SessionKind::Browser,
            "token-hash",
            "csrf",
            t2 + mins(4),
            login_entry(AuditResult::Ok).by(a.id, "li.ming"),
        )
        .unwrap();
        assert_eq!(
            s.login_failed(a.id, t2 + mins(5), login_entry(AuditResult::Failed))
                .unwrap(),
            None
        );
        // One account's failures do not lock another.
        let b = s
            .add_account(
                new_account("zhao.lei", Role::GroupLeader, G1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        for i in 0..4 {
            s.login_failed(b.id, t2 + mins(i), login_entry(AuditResult::Failed))
                .unwrap();
        }
        assert_eq!(
            s.login_failed(a.id, t2 + mins(6), login_entry(AuditResult::Failed))
                .unwrap(),
            None
        );
        assert_eq!(
            s.verify_audit().unwrap(),
            AuditCheck::Intact {
                rows: all_audit(s).len() as u64
            }
        );
    });
}

#[test]
fn sessions_end_when_idle_on_logout_and_when_the_account_changes() {
    each_backend(|s| {
        let a = s
            .add_account(
                new_account("li.ming", Role::CommitteeOfficer, C1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        let other = s
            .add_account(
                new_account("zhao.lei", Role::GroupLeader, G1),
                by_admin(AuditAction::AccountAdd),
            )
            .unwrap();
        let t = t0();
        let start = |s: &mut Store, id: i64, hash: &str, kind: SessionKind, at: Timestamp| {
            s.start_session(
                id,
                kind,
                hash,
                &format!("csrf-{hash}"),
                at,
                login_entry(AuditResult::Ok).by(id, "someone"),
            )
            .unwrap()
        };

        start(s, a.id, "h1", SessionKind::Browser, t);
        let session = s.session("h1", t).unwrap().expect("a live session");
        assert_eq!(session.account.id, a.id);
        assert_eq!(session.account.username.as_str(), "li.ming");
        assert_eq!(session.kind, SessionKind::Browser);
        assert_eq!(session.csrf_token, "csrf-h1");
        assert!(s.session("unknown", t).unwrap().is_none());
        // 30 minutes idle is still within the limit; 31 is not, and it stays gone.
        assert!(s.session("h1", t + mins(30)).unwrap().is_some());
        assert!(s.session("h1", t + mins(61)).unwrap().is_none());
        assert!(s.session("h1", t + mins(62)).unwrap().is_none());
        assert!(
            s.session("h1", t).unwrap().is_none(),
            "removed, not just hidden"
        );

        // Use keeps it alive: idle time counts from the last request.
        start(s, a.id, "h2", SessionKind::Api, t);
        assert!(s.session("h2", t + mins(20)).unwrap().is_some());
        assert!(s.session("h2", t + mins(45)).unwrap().is_some());
        let api = s.session("h2", t + mins(70)).unwrap().unwrap();
        assert_eq!(api.kind, SessionKind::Api);
        assert!(s.session("h2", t + mins(101)).unwrap().is_none());

        // Logout.
        start(s, a.id, "h3", SessionKind::Browser, t);
        s.end_session(
            "h3",
            AuditEntry::new(AuditAction::Logout, "session", AuditResult::Ok).by(a.id, "li.ming"),
        )
        .unwrap();
        assert!(s.session("h3", t + mins(1)).unwrap().is_none());

        // Disabling ends every session of that account at once, and only of that account.
        start(s, a.id, "h4", SessionKind::Browser, t);
        start(s, a.id, "h5", SessionKind::Api, t);
        start(s, other.id, "h6", SessionKind::Browser, t);
        s.set_disabled(a.id, true, by_admin(AuditAction::AccountDisable))
            .unwrap();
        assert!(s.account(a.id).unwrap().unwrap().disabled);
        assert!(s.session("h4", t + mins(1)).unwrap().is_none());
        assert!(s.session("h5", t + mins(1)).unwrap().is_none());
        assert!(s.session("h6", t + mins(1)).unwrap().is_some());
        // A session started for a disabled account does not work either.
        start(s, a.id, "h7", SessionKind::Browser, t);
        assert!(s.session("h7", t + mins(1)).unwrap().is_none());
        // Enabling again does not bring the old sessions back.
        s.set_disabled(a.id, false, by_admin(AuditAction::AccountEnable))
            .unwrap();
        assert!(s.session("h4", t + mins(2)).unwrap().is_none());

        // A new password ends every session too.
        start(s, a.id, "h8", SessionKind::Browser, t);
        start(s, a.id, "h9", SessionKind::Api, t);
        s.set_password(
            a.id,
            "argon2-new",
            true,
            by_admin(AuditAction::AccountResetPassword),
        )
        .unwrap();
        assert!(s.session("h8", t + mins(1)).unwrap().is_none());
        assert!(s.session("h9", t + mins(1)).unwrap().is_none());
        let (acc, hash) = s.account_for_login("li.ming").unwrap().unwrap();
        assert_eq!(hash, "argon2-new");
        assert!(acc.must_change_password);

        // So does a new role or area.
        start(s, a.id, "h10", SessionKind::Browser, t);
        s.set_role(
            a.id,
            Role::Centre,
            &AreaCode::parse(CENTRE).unwrap(),
            by_admin(AuditAction::AccountRole),
        )
        .unwrap();
        assert!(s.session("h10", t + mins(1)).unwrap().is_none());
        let acc = s.account(a.id).unwrap().unwrap();
        assert_eq!((acc.role, acc.area.as_str()), (Role::Centre, CENTRE));

        // An unknown account is not found.
        for err in [
            s.set_disabled(9999, true, by_admin(AuditAction::AccountDisable))
                .unwrap_err(),
            s.set_password(
                9999,
                "x",
                false,
                by_admin(AuditAction::AccountResetPassword),
            )
            .unwrap_err(),
        ] {
            assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        }
        assert_eq!(
            s.verify_audit().unwrap(),
            AuditCheck::Intact {
                rows: all_audit(s).len() as u64
            }
        );
    });
}
