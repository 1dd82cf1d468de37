//! A small pool of store connections for the async server: each request borrows one on a
//! blocking thread (the store is synchronous) and gives it back.
//!
//! The PostgreSQL client blocks on a runtime of its own, which it may not do on a thread that
//! drives the server's runtime: connections are opened, used and closed only on threads where
//! blocking is allowed, so the pool can be opened and dropped from anywhere.

use std::sync::{Arc, Mutex};

use renkou_store::{Result, Store, StoreError};
use tokio::sync::Semaphore;

pub struct Pool {
    url: String,
    idle: Mutex<Vec<Store>>,
    /// At most this many connections are in use at once.
    permits: Semaphore,
}

/// Runs `f` on a plain thread of its own and waits for it.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

fn connect(url: &str) -> Result<Store> {
    let mut store = Store::open(url)?;
    store.tune_for_serving()?;
    Ok(store)
}

impl Pool {
    /// Opens one connection at once, so a bad URL fails at start and the schema is migrated.
    pub fn open(url: &str, size: usize) -> Result<Arc<Pool>> {
        let first = off_runtime(|| connect(url))?;
        Ok(Arc::new(Pool {
            url: url.to_string(),
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(size.max(1)),
        }))
    }

    /// A connection of its own, for long work (an import) that should not hold a pooled one.
    /// Use it on a blocking thread, as the pool's own connections are.
    pub fn open_store(&self) -> Result<Store> {
        off_runtime(|| Store::open(&self.url))
    }

    /// Runs `f` with a connection on the blocking thread pool.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Database("连接池已关闭".into()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = pool.idle.lock().expect("pool lock").pop();
            let mut store = match taken {
                Some(s) => s,
                None => connect(&pool.url)?,
            };
            let result = f(&mut store);
            // A connection that failed at the database level is dropped, not reused.
            if !matches!(result, Err(StoreError::Database(_))) {
                pool.idle.lock().expect("pool lock").push(store);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Database(format!("后台任务失败：{e}")))?
    }
}

impl Drop for Pool {
    /// The last holder may be a task of the runtime: closing a PostgreSQL connection blocks.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        if !idle.is_empty() {
            off_runtime(move || drop(idle));
        }
    }
}
