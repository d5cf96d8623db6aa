//! The pieces the per-request loaders ([`crate::loaders::Loaders`]) are made of: a
//! [`Read`] (many keys, one domain call) or an [`OrganizationBatch`] (many
//! organizations sharing a parameter), each wrapped in [`Memo`], which batches the keys
//! of one pass of the request and sends them when the request is [`Idle`]: no timer
//! window, and a statement count that does not depend on timing.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    marker::PhantomData,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
    time::Duration,
};

use async_graphql::dataloader::Loader;
use futures_util::{
    FutureExt,
    future::{self, BoxFuture, Shared, join_all},
    task::AtomicWaker,
};
use orgdesign_domain::{error::Error, query::group};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::error::GqlError;

/// A loader's error: cloneable, as a batch hands it to every resolver waiting on it.
#[derive(Debug, Clone)]
pub struct LoadError(pub Arc<Error>);

impl From<DbErr> for LoadError {
    fn from(err: DbErr) -> Self {
        Self(Arc::new(err.into()))
    }
}

impl From<Error> for LoadError {
    fn from(err: Error) -> Self {
        Self(Arc::new(err))
    }
}

impl From<LoadError> for GqlError {
    fn from(LoadError(err): LoadError) -> Self {
        GqlError::from(err.as_ref())
    }
}

/// A read the loaders batch: many keys, one call into the domain (and so one
/// statement, or a fixed few). Each loader of [`crate::loaders::Loaders`] is a
/// [`Reader`] of one `Read`, whose `read` names the domain function that runs the SQL.
pub trait Read: Send + Sync + 'static {
    /// What the loader looks rows up by.
    type Key: Send + Sync + Hash + Eq + Clone + 'static;
    /// What each key gets.
    type Value: Send + Sync + Clone + 'static;

    /// Reads the values of `keys`; a key left out of the map has none (`load_one`
    /// answers `None` for it).
    fn read(
        db: &DatabaseConnection,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, Error>> + Send;
}

/// The per-request loader of a [`Read`].
pub struct Reader<R>(DatabaseConnection, PhantomData<R>);

impl<R> Reader<R> {
    /// A loader reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self(db, PhantomData)
    }
}

impl<R: Read> KeyedLoader for Reader<R> {
    type Key = R::Key;
}

impl<R: Read> Loader<R::Key> for Reader<R> {
    type Value = R::Value;
    type Error = LoadError;

    async fn load(&self, keys: &[R::Key]) -> Result<HashMap<R::Key, Self::Value>, Self::Error> {
        Ok(R::read(&self.0, keys).await?)
    }
}

/// Something read for many organizations at once by one service function: the
/// fields of an organization that a list asks for ask here, and the organizations of
/// one request that share a `Param` (a date, a series) are read together, so a field's
/// statements do not grow with the number of organizations in the list.
pub trait OrganizationBatch: Send + Sync + 'static {
    /// What the organizations of one batch share: a date, a series asked for, nothing.
    type Param: Send + Sync + Hash + Eq + Clone + 'static;
    /// What each organization gets.
    type Value: Send + Sync + Clone + 'static;

    /// Reads `Value` for each of `organizations`; an organization left out of the map
    /// has none (`load_one` answers `None` for it).
    fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        param: &Self::Param,
    ) -> impl Future<Output = Result<HashMap<Uuid, Self::Value>, Error>> + Send;
}

/// The per-request loader of an [`OrganizationBatch`]: keys are (organization, param).
pub struct PerOrganization<B>(DatabaseConnection, PhantomData<B>);

impl<B> PerOrganization<B> {
    /// A loader reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self(db, PhantomData)
    }
}

impl<B: OrganizationBatch> KeyedLoader for PerOrganization<B> {
    type Key = (Uuid, B::Param);
}

impl<B: OrganizationBatch> Loader<(Uuid, B::Param)> for PerOrganization<B> {
    type Value = B::Value;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, B::Param)],
    ) -> Result<HashMap<(Uuid, B::Param), Self::Value>, Self::Error> {
        let mut out = HashMap::with_capacity(keys.len());
        for (param, keys) in group(keys.to_vec(), |(_, param)| param.clone()) {
            let organizations: Vec<Uuid> = keys.iter().map(|(org, _)| *org).collect();
            for (org, value) in B::load(&self.0, &organizations, &param).await? {
                out.insert((org, param.clone()), value);
            }
        }
        Ok(out)
    }
}

/// Declares a loader's read: a unit struct that implements [`Read`] or
/// [`OrganizationBatch`] with the block as its `read` or `load`, the arguments under
/// the names given. Its doc names the domain function, so a reader follows a loader
/// to its SQL:
///
/// ```text
/// loader! {
///     /// Units by id: [`service::by_ids`].
///     pub UnitById: Read(db, ids: Uuid) -> org_unit::Model {
///         Ok(index(service::by_ids(db, ids).await?, |row| row.id))
///     }
/// }
/// loader! {
///     /// Each organization's assessments: [`service::assessments`].
///     pub AssessmentsOf: OrganizationBatch(db, organizations, _: ()) -> Vec<Model> {
///         service::assessments(db, organizations).await
///     }
/// }
/// ```
macro_rules! loader {
    (
        $(#[$doc:meta])*
        $vis:vis $name:ident: Read($db:ident, $keys:ident: $Key:ty) -> $Value:ty $body:block
    ) => {
        $crate::batch::loader! {
            @declare [$(#[$doc])*] $vis $name: Read<Key = $Key, Value = $Value>
            fn read($db: &::sea_orm::DatabaseConnection, $keys: &[$Key]) -> $Key $body
        }
    };
    (
        $(#[$doc:meta])*
        $vis:vis $name:ident: OrganizationBatch(
            $db:ident, $organizations:ident, $param:tt: $Param:ty
        ) -> $Value:ty $body:block
    ) => {
        $crate::batch::loader! {
            @declare [$(#[$doc])*] $vis $name: OrganizationBatch<Param = $Param, Value = $Value>
            fn load(
                $db: &::sea_orm::DatabaseConnection,
                $organizations: &[::uuid::Uuid],
                $param: &$Param
            ) -> ::uuid::Uuid $body
        }
    };
    (
        @declare [$(#[$doc:meta])*] $vis:vis $name:ident:
        $Trait:ident<$Assoc:ident = $Arg:ty, Value = $Value:ty>
        fn $fn:ident($($arg:tt: $arg_ty:ty),*) -> $Key:ty $body:block
    ) => {
        $(#[$doc])*
        $vis struct $name;

        impl $crate::batch::$Trait for $name {
            type $Assoc = $Arg;
            type Value = $Value;

            async fn $fn(
                $($arg: $arg_ty),*
            ) -> ::orgdesign_domain::error::Result<::std::collections::HashMap<$Key, $Value>>
            $body
        }
    };
}
pub(crate) use loader;

/// A loader with its key type named, so [`Memo`] can be generic over the loader alone.
pub trait KeyedLoader: Loader<Self::Key, Error = LoadError> {
    /// What the loader looks rows up by.
    type Key: Send + Sync + Hash + Eq + Clone + 'static;
}

type Pending<V> = Shared<BoxFuture<'static, Result<Option<V>, LoadError>>>;

/// How long a loader waits for more keys when nothing tells it that the request has
/// gone idle (a loader used outside [`Idle::dispatching`]): DataLoader's window, as a
/// fallback only.
const FALLBACK_WINDOW: Duration = Duration::from_millis(3);

/// One request's loaders with keys waiting, and the moment to send them: when the
/// request's execution has nothing else ready to run.
///
/// The executor resolves the fields of one level (and their lists) in one pass; each
/// field asks its loader for a key and waits. Once the pass is done and nothing in the
/// request can move without data, [`Idle::dispatching`] runs every loader's batch at
/// once: one statement per loader and level, with no timer to wait for and none that
/// could close on half of a level's keys.
#[derive(Clone, Default)]
pub struct Idle(Arc<IdleInner>);

#[derive(Default)]
struct IdleInner {
    /// Loaders with a batch open, in the order they opened it.
    waiting: Mutex<Vec<Arc<dyn Flush>>>,
    /// Set while a request runs under [`Idle::dispatching`]; otherwise a batch runs
    /// after [`FALLBACK_WINDOW`].
    watched: AtomicBool,
}

impl Idle {
    /// Runs `request` (the execution of a GraphQL request), sending the loaders'
    /// batches each time it has nothing else ready to run.
    pub fn dispatching<F: Future>(&self, request: F) -> impl Future<Output = F::Output> {
        self.0.watched.store(true, Ordering::Relaxed);
        let noting = Arc::new(Noting {
            woken: AtomicBool::new(false),
            outer: AtomicWaker::new(),
        });
        Dispatching {
            request: Box::pin(request),
            idle: self.clone(),
            waker: Waker::from(noting.clone()),
            noting,
        }
    }

    /// Sends every open batch; whether there was one.
    fn flush(&self) -> bool {
        let waiting = match self.0.waiting.lock() {
            Ok(mut waiting) => std::mem::take(&mut *waiting),
            Err(_) => return false,
        };
        let any = !waiting.is_empty();
        for queue in waiting {
            queue.flush(None);
        }
        any
    }

    fn enlist(&self, queue: Arc<dyn Flush>) {
        if let Ok(mut waiting) = self.0.waiting.lock() {
            waiting.push(queue);
        }
    }
}

/// The request's execution, polled with a waker that notes whether anything in it
/// asked to run again during the poll: if nothing did, the request waits on data
/// alone, and the loaders' batches go.
struct Dispatching<F: Future> {
    request: Pin<Box<F>>,
    idle: Idle,
    /// The waker the execution is polled with, made once per request.
    noting: Arc<Noting>,
    waker: Waker,
}

impl<F: Future> Future for Dispatching<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // The task's waker may differ from one poll to the next.
        self.noting.outer.register(cx.waker());
        self.noting.woken.store(false, Ordering::Release);
        let waker = self.waker.clone();
        let polled = self.request.as_mut().poll(&mut Context::from_waker(&waker));
        if polled.is_pending() && !self.noting.woken.load(Ordering::Acquire) {
            // Idle: the batches' answers wake the request (through `waker`).
            self.idle.flush();
        }
        polled
    }
}

/// A waker that notes it was woken and wakes the task.
struct Noting {
    woken: AtomicBool,
    outer: AtomicWaker,
}

impl Wake for Noting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.outer.wake();
    }
}

/// A loader's open batch, sent by [`Idle`] (or its fallback timer).
trait Flush: Send + Sync {
    /// Sends the open batch (only batch number `only`, when given).
    fn flush(&self, only: Option<u64>);
}

type BatchResult<K, V> = Result<Arc<HashMap<K, V>>, LoadError>;

/// A batch's answer, for every asker of its keys.
type Answer<K, V> = Shared<BoxFuture<'static, BatchResult<K, V>>>;

/// The keys asked for since the last batch went, and where its answer will be.
struct Open<L: KeyedLoader> {
    number: u64,
    keys: Vec<L::Key>,
    tell: oneshot::Sender<BatchResult<L::Key, L::Value>>,
    answer: Answer<L::Key, L::Value>,
}

/// One loader's batches: keys gather in the open batch until the request is idle.
struct Queue<L: KeyedLoader> {
    loader: Arc<L>,
    open: Mutex<Option<Open<L>>>,
    numbers: AtomicU64,
}

impl<L: KeyedLoader> Queue<L> {
    /// Adds `key` to the open batch (opening one, and enlisting with `idle`, if none
    /// is); the batch's answer.
    fn ask(self: &Arc<Self>, key: L::Key, idle: &Idle) -> Answer<L::Key, L::Value> {
        let Ok(mut open) = self.open.lock() else {
            return future::ready(Err(LoadError::from(Error::Internal(anyhow::anyhow!(
                "a loader's queue was poisoned"
            )))))
            .boxed()
            .shared();
        };
        if let Some(batch) = open.as_mut() {
            batch.keys.push(key);
            return batch.answer.clone();
        }
        let (sender, receiver) = oneshot::channel();
        let answer = receiver
            .map(|answer| {
                answer.unwrap_or_else(|_| {
                    Err(LoadError::from(Error::Internal(anyhow::anyhow!(
                        "a loader's batch ended without an answer"
                    ))))
                })
            })
            .boxed()
            .shared();
        let number = self.numbers.fetch_add(1, Ordering::Relaxed);
        *open = Some(Open {
            number,
            keys: vec![key],
            tell: sender,
            answer: answer.clone(),
        });
        drop(open);
        if idle.0.watched.load(Ordering::Relaxed) {
            idle.enlist(self.clone());
        } else {
            let queue = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(FALLBACK_WINDOW).await;
                queue.flush(Some(number));
            });
        }
        answer
    }
}

impl<L: KeyedLoader> Flush for Queue<L> {
    fn flush(&self, only: Option<u64>) {
        let batch = match self.open.lock() {
            Ok(mut open) => match open.as_ref() {
                Some(batch) if only.is_none_or(|n| n == batch.number) => open.take(),
                _ => None,
            },
            Err(_) => None,
        };
        let Some(batch) = batch else { return };
        let loader = self.loader.clone();
        tokio::spawn(async move {
            let answer = loader.load(&batch.keys).await.map(Arc::new);
            // The askers may all be gone (the request ended): nobody to tell.
            batch.tell.send(answer).ok();
        });
    }
}

/// A per-request loader that batches the keys of one pass of the request (see
/// [`Idle`]) and remembers loads in flight.
///
/// A key asked for again while its batch is still running joins it, so how many
/// statements a query runs does not depend on timing.
pub struct Memo<L: KeyedLoader> {
    queue: Arc<Queue<L>>,
    idle: Idle,
    pending: Mutex<HashMap<L::Key, Pending<L::Value>>>,
    writes: DocumentWrites,
}

/// Whether the request's document holds a mutation (or a subscription). Its fields run
/// one after another with writes in between, so everything a request remembers — the
/// memos' loads, the insights' snapshots — is read afresh once this is set; loads
/// still batch. Set from the parsed document by `crate::schema::prepare`.
#[derive(Clone, Default, Debug)]
pub struct DocumentWrites(Arc<AtomicBool>);

impl DocumentWrites {
    /// Whether the document holds a mutation (or a subscription): then reads must not
    /// reuse earlier loads.
    pub fn holds_writes(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl DocumentWrites {
    /// The flag of a document that holds anything but queries.
    pub fn of(document: &async_graphql::parser::types::ExecutableDocument) -> Self {
        let writes = document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty != async_graphql::parser::types::OperationType::Query);
        Self(Arc::new(AtomicBool::new(writes)))
    }
}

impl<L: KeyedLoader> Memo<L> {
    /// Wraps `loader` for one request whose document's writes `writes` tells, sending
    /// its batches when `idle` says.
    pub fn new(loader: L, writes: DocumentWrites, idle: Idle) -> Self {
        Self {
            queue: Arc::new(Queue {
                loader: Arc::new(loader),
                open: Mutex::new(None),
                numbers: AtomicU64::new(0),
            }),
            idle,
            pending: Mutex::new(HashMap::new()),
            writes,
        }
    }

    /// Loads one key, joining a load of the same key already under way.
    pub async fn load_one(&self, key: L::Key) -> Result<Option<L::Value>, LoadError> {
        self.pending_for(key).await
    }

    /// Loads one key whose absence means an empty value (an organization without
    /// units, a stage without KPIs), joining a load of the same key under way.
    pub async fn load_or_default(&self, key: L::Key) -> Result<L::Value, LoadError>
    where
        L::Value: Default,
    {
        Ok(self.load_one(key).await?.unwrap_or_default())
    }

    /// Loads several keys; the map holds those that were found.
    pub async fn load_many(
        &self,
        keys: impl IntoIterator<Item = L::Key>,
    ) -> Result<HashMap<L::Key, L::Value>, LoadError> {
        let keys: Vec<L::Key> = keys.into_iter().collect();
        let loads = keys.iter().cloned().map(|key| self.pending_for(key));
        let values = join_all(loads).await;
        let mut found = HashMap::with_capacity(keys.len());
        for (key, value) in keys.into_iter().zip(values) {
            if let Some(value) = value? {
                found.insert(key, value);
            }
        }
        Ok(found)
    }

    /// Remembers values known from another load (an organization's positions, split by
    /// unit), so asking for their keys later runs no statement: the values go where
    /// loads in flight are remembered, as loads already done. In a document with a
    /// mutation nothing is remembered, so nothing is fed.
    pub async fn feed_many(&self, values: impl IntoIterator<Item = (L::Key, L::Value)>) {
        if self.writes.holds_writes() {
            return;
        }
        if let Ok(mut pending) = self.pending.lock() {
            for (key, value) in values {
                let done: Pending<L::Value> = future::ready(Ok(Some(value))).boxed().shared();
                pending.insert(key, done);
            }
        }
    }

    fn pending_for(&self, key: L::Key) -> Pending<L::Value> {
        let make = |key: L::Key| {
            let answer = self.queue.ask(key.clone(), &self.idle);
            async move { Ok(answer.await?.get(&key).cloned()) }
                .boxed()
                .shared()
        };
        if self.writes.holds_writes() {
            return make(key);
        }
        match self.pending.lock() {
            Ok(mut pending) => match pending.get(&key) {
                Some(known) => known.clone(),
                None => {
                    let load = make(key.clone());
                    pending.insert(key, load.clone());
                    load
                }
            },
            // A poisoned map only loses the sharing, not the load.
            Err(_) => make(key),
        }
    }
}
