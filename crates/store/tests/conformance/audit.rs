//! The audit trail: a hash chain the database will not let anyone rewrite.

use jiff::civil::date;
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult};
use renkou_core::*;
use renkou_store::{AuditCheck, AuditFilter, PersonFilter, Store, StoreError};

use crate::helpers::*;

#[test]
fn the_audit_trail_is_a_chain_the_database_will_not_rewrite() {
    each_backend_with_url(|s, b| {
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 0 });
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1); // row 1
        s.audit(login_entry(AuditResult::Ok).by(officer.scope.account_id, "officer.a"))
            .unwrap(); // row 2
        let her = s.add_person_as(&officer, woman(1), TODAY).unwrap(); // row 3
        let him = s.add_person_as(&officer, man(1), TODAY).unwrap(); // row 4
        s.view_person(&officer, her).unwrap(); // row 5
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 5 });

        // Newest first, each linked to the one before, the first to the genesis hash.
        let rows = all_audit(s);
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [5, 4, 3, 2, 1]);
        for pair in rows.windows(2) {
            assert_eq!(pair[0].prev_hash, pair[1].hash);
        }
        assert_eq!(rows[4].prev_hash, "0".repeat(64));
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "person.view",
                "person.add",
                "person.add",
                "login",
                "account.add"
            ]
        );
        assert_eq!(rows[2].object_id, Some(her.to_string()));
        assert_eq!(rows[1].object_id, Some(him.to_string()));
        assert_eq!(rows[2].username.as_deref(), Some("officer.a"));
        assert_eq!(rows[2].source, "10.0.0.7");
        // Paging and filtering.
        let older: Vec<i64> = s
            .audit_rows(&AuditFilter::default(), Some(3), 10)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(older, [2, 1]);
        let adds = AuditFilter {
            action: Some("person.add".into()),
            ..Default::default()
        };
        assert_eq!(s.audit_rows(&adds, None, 10).unwrap().len(), 2);
        assert_eq!(s.audit_rows(&adds, None, 1).unwrap()[0].seq, 4);

        // Work that fails writes no audit row from inside its transaction.
        let err = s.add_person_as(&officer, woman(1), TODAY).unwrap_err();
        assert!(matches!(err, StoreError::DuplicateIdNumber(_)), "{err}");
        let mut unborn = woman(2);
        unborn.birth_date = date(2027, 1, 1);
        let err = s.add_person_as(&officer, unborn, TODAY).unwrap_err();
        assert!(field_of(&err).contains(&"birth_date"), "{err}");
        let err = s
            .transaction(|tx| {
                tx.audit(officer.entry(AuditAction::Import, "file", AuditResult::Ok))?;
                tx.add_person(man(2), "officer.a", TODAY)?;
                tx.add_person(man(2), "officer.a", TODAY) // a duplicate: all of it goes
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::DuplicateIdNumber(_)), "{err}");
        assert_eq!(all_audit(s).len(), 5);
        assert_eq!(s.count_persons(&PersonFilter::default()).unwrap(), 2);
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 5 });

        // The database itself refuses to change or remove a row.
        let refused = |sql: &str| {
            let result = raw_exec(b, sql);
            assert!(result.is_err(), "{}: `{sql}` must be refused", b.name);
            assert!(
                result.unwrap_err().contains("append-only"),
                "{}: refused by the trigger",
                b.name
            );
        };
        refused("UPDATE audit_log SET result = 'ok' WHERE seq = 3");
        refused("DELETE FROM audit_log WHERE seq = 3");
        refused("DELETE FROM audit_log");
        if b.name == "postgres" {
            refused("TRUNCATE audit_log");
        }
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 5 });

        // An attacker who gets past the triggers: the edit is found, at the row edited.
        let bypass = match b.name {
            "sqlite" => "DROP TRIGGER audit_log_no_update",
            _ => "ALTER TABLE audit_log DISABLE TRIGGER USER",
        };
        raw_exec(b, bypass).unwrap();
        raw_exec(b, "UPDATE audit_log SET object_id = '999' WHERE seq = 3").unwrap();
        match s.verify_audit().unwrap() {
            AuditCheck::Broken { seq, reason } => {
                assert_eq!(seq, 3, "{}: {reason}", b.name);
                assert!(!reason.is_empty());
            }
            intact => panic!("{}: tampering went unnoticed: {intact:?}", b.name),
        }
    });
}

/// SHA-256 as lowercase hex, the way the chain stores it.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn rewriting_a_row_and_its_hash_or_deleting_one_still_breaks_the_chain() {
    each_backend_with_url(|s, b| {
        for i in 0..6 {
            s.audit(
                AuditEntry::new(AuditAction::Export, "file", AuditResult::Ok)
                    .by(1, "officer")
                    .detail(format!("rows={i}")),
            )
            .unwrap();
        }
        assert_eq!(s.verify_audit().unwrap(), AuditCheck::Intact { rows: 6 });
        let bypass = match b.name {
            "sqlite" => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete",
            _ => "ALTER TABLE audit_log DISABLE TRIGGER USER",
        };
        raw_exec(b, bypass).unwrap();

        // Row 2 rewritten with a hash that matches its new content: the next row's link breaks.
        let mut row2 = all_audit(s).into_iter().find(|r| r.seq == 2).unwrap();
        row2.detail = Some("rows=0".into());
        let forged = sha256_hex(&row2.chained_bytes());
        raw_exec(
            b,
            &format!("UPDATE audit_log SET detail = 'rows=0', hash = '{forged}' WHERE seq = 2"),
        )
        .unwrap();
        assert!(
            matches!(s.verify_audit().unwrap(), AuditCheck::Broken { seq: 3, .. }),
            "{}",
            b.name
        );

        // A row taken out of the middle.
        raw_exec(b, "DELETE FROM audit_log WHERE seq IN (2, 3, 4)").unwrap();
        match s.verify_audit().unwrap() {
            AuditCheck::Broken { seq, reason } => assert_eq!(seq, 2, "{}: {reason}", b.name),
            intact => panic!("{}: a deletion went unnoticed: {intact:?}", b.name),
        }
    });
}

#[test]
fn concurrent_writers_keep_one_unbroken_chain() {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut s = Store::open(&b.url).unwrap();
        std::thread::scope(|scope| {
            for writer in 0..3 {
                let url = b.url.clone();
                scope.spawn(move || {
                    let mut mine = Store::open(&url).unwrap();
                    for i in 0..15 {
                        mine.audit(
                            AuditEntry::new(AuditAction::PersonView, "person", AuditResult::Ok)
                                .by(writer, &format!("writer{writer}"))
                                .object(i),
                        )
                        .unwrap();
                    }
                });
            }
        });
        assert_eq!(
            s.verify_audit().unwrap(),
            AuditCheck::Intact { rows: 45 },
            "{}",
            b.name
        );
    }
}
