//! A small pool of store connections for the async server: each request borrows one on a
//! blocking thread (the store is synchronous) and gives it back.

use std::sync::{Arc, Mutex};

use renkou_store::{Result, Store, StoreError};
use tokio::sync::Semaphore;

pub struct Pool {
    url: String,
    idle: Mutex<Vec<Store>>,
    /// At most this many connections are in use at once.
    permits: Semaphore,
}

impl Pool {
    /// Opens one connection at once, so a bad URL fails at start and the schema is migrated.
    pub fn open(url: &str, size: usize) -> Result<Arc<Pool>> {
        let mut first = Store::open(url)?;
        first.tune_for_serving()?;
        Ok(Arc::new(Pool {
            url: url.to_string(),
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(size.max(1)),
        }))
    }

    /// A connection of its own, for long work (an import) that should not hold a pooled one.
    pub fn open_store(&self) -> Result<Store> {
        Store::open(&self.url)
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
                None => {
                    let mut s = Store::open(&pool.url)?;
                    s.tune_for_serving()?;
                    s
                }
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
