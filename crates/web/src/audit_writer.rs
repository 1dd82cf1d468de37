//! Group commit for the audit rows of views. Every view of a whole record is audited before it
//! is shown; writing each row in its own transaction would cost one disk flush per view. The
//! writer takes the rows that arrive while the previous batch is being flushed and writes them
//! together, answering each request only once its row is on disk.
//!
//! Changes never come through here: their rows are written in the change's own transaction.

use std::sync::{Arc, OnceLock};

use renkou_core::audit::AuditEntry;
use tokio::sync::{mpsc, oneshot};

use crate::error::AppError;
use crate::pool::Pool;

type Reply = oneshot::Sender<Result<(), String>>;

/// The largest batch written in one transaction.
const MAX_BATCH: usize = 512;

/// Audit rows between two checkpoints of SQLite's write-ahead log.
const CHECKPOINT_EVERY: usize = 5_000;

pub struct AuditWriter {
    pool: Arc<Pool>,
    queue: OnceLock<mpsc::UnboundedSender<(AuditEntry, Reply)>>,
}

impl AuditWriter {
    pub fn new(pool: Arc<Pool>) -> Self {
        AuditWriter {
            pool,
            queue: OnceLock::new(),
        }
    }

    /// Started on first use, inside the server's runtime.
    fn queue(&self) -> &mpsc::UnboundedSender<(AuditEntry, Reply)> {
        self.queue.get_or_init(|| {
            let (sender, mut receiver) = mpsc::unbounded_channel::<(AuditEntry, Reply)>();
            let pool = Arc::clone(&self.pool);
            tokio::spawn(async move {
                let mut since_checkpoint = 0usize;
                while let Some(first) = receiver.recv().await {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match receiver.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    let (entries, replies): (Vec<AuditEntry>, Vec<Reply>) =
                        batch.into_iter().unzip();
                    let written = pool
                        .run(move |s| s.audit_batch(entries))
                        .await
                        .map_err(|e| e.to_string());
                    since_checkpoint += replies.len();
                    for reply in replies {
                        let _ = reply.send(written.clone());
                    }
                    // Views never stop under load, so the log is folded back by hand now
                    // and then (see Store::checkpoint); a failure here only delays it.
                    if since_checkpoint >= CHECKPOINT_EVERY {
                        since_checkpoint = 0;
                        let _ = pool.run(|s| s.checkpoint()).await;
                    }
                }
            });
            sender
        })
    }

    /// Returns once the row is committed.
    pub async fn write(&self, entry: AuditEntry) -> Result<(), AppError> {
        let (reply, done) = oneshot::channel();
        self.queue()
            .send((entry, reply))
            .map_err(|_| AppError::Internal("audit writer stopped".into()))?;
        done.await
            .map_err(|_| AppError::Internal("audit writer stopped".into()))?
            .map_err(AppError::Internal)
    }
}
