//! The media store: segments, init segments, posters and playlists as objects, in a local
//! directory (embedded default) or an S3-compatible bucket, through `object_store`.
//!
//! Keys are derived only from parsed ids (UUIDs, integers) and checksums, never from caller
//! text, so no request can address an object outside its recording.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};
use uuid::Uuid;

/// Where media objects live.
#[derive(Debug, Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    /// A local store's root, when durability comes from [`MediaStore::sync`] (Linux).
    sync_root: Option<Arc<std::path::PathBuf>>,
}

/// S3 connection settings.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// Endpoint URL, e.g. `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// Bucket.
    pub bucket: String,
    /// Region.
    pub region: String,
    /// Access key id.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
}

impl MediaStore {
    /// A store in a local directory. A write is durable once [`MediaStore::sync`] returned.
    ///
    /// On Linux, writes are not fsynced one by one: the group-commit writer calls `syncfs(2)`
    /// once per batch before it commits the batch's rows (one journal commit for hundreds of
    /// files; per-file fsync of file and directory made the journal the bottleneck at ~1,000
    /// uploads/s). Elsewhere each write is fsynced (file and directory) before it returns.
    pub fn local(root: &Path) -> Result<MediaStore, object_store::Error> {
        std::fs::create_dir_all(root).map_err(|e| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(e),
        })?;
        let batched = cfg!(target_os = "linux");
        let fs = LocalFileSystem::new_with_prefix(root)?
            .with_automatic_cleanup(true)
            .with_fsync(!batched);
        Ok(MediaStore {
            inner: Arc::new(fs),
            sync_root: batched.then(|| Arc::new(root.to_owned())),
        })
    }

    /// Makes every write so far durable (local store on Linux: `syncfs`; otherwise writes
    /// are durable when `put` returns and this does nothing).
    pub async fn sync(&self) -> object_store::Result<()> {
        let Some(root) = self.sync_root.clone() else {
            return Ok(());
        };
        let generic = |e: std::io::Error| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(e),
        };
        tokio::task::spawn_blocking(move || sync_filesystem(&root))
            .await
            .map_err(|e| generic(std::io::Error::other(e)))?
            .map_err(generic)
    }

    /// A store in an S3-compatible bucket. A successful PUT is durable by S3's contract.
    pub fn s3(s: &S3Settings) -> Result<MediaStore, object_store::Error> {
        let store = AmazonS3Builder::new()
            .with_endpoint(&s.endpoint)
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_access_key_id(&s.access_key)
            .with_secret_access_key(&s.secret_key)
            .with_virtual_hosted_style_request(false)
            .with_retry(s3_retry())
            // The client options replace the builder's whole set, `allow_http` included.
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(true)
                    .with_connect_timeout(S3_CONNECT_TIMEOUT)
                    .with_timeout(S3_REQUEST_TIMEOUT),
            )
            .build()?;
        Ok(MediaStore {
            inner: Arc::new(store),
            sync_root: None,
        })
    }

    /// Any store (tests use this to inject a failing one).
    pub fn from_store(inner: Arc<dyn ObjectStore>) -> MediaStore {
        MediaStore {
            inner,
            sync_root: None,
        }
    }

    /// Stores an object (whole, in one request; segments are far below multipart sizes).
    pub async fn put(&self, key: &ObjectPath, payload: PutPayload) -> object_store::Result<()> {
        self.inner.put(key, payload).await.map(|_| ())
    }

    /// Reads a whole object.
    pub async fn get(&self, key: &ObjectPath) -> object_store::Result<Bytes> {
        self.inner.get(key).await?.bytes().await
    }

    /// Reads an object as a stream of chunks, with its size.
    pub async fn get_stream(
        &self,
        key: &ObjectPath,
    ) -> object_store::Result<(
        u64,
        futures::stream::BoxStream<'static, object_store::Result<Bytes>>,
    )> {
        let got = self.inner.get(key).await?;
        let size = got.meta.size;
        Ok((size, got.into_stream()))
    }

    /// Deletes an object; a missing object is not an error.
    pub async fn delete(&self, key: &ObjectPath) -> object_store::Result<()> {
        match self.inner.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes every object of a recording; returns how many.
    pub async fn delete_recording(&self, recording: Uuid) -> object_store::Result<usize> {
        let prefix = ObjectPath::from(format!("recordings/{recording}"));
        let keys: Vec<ObjectPath> = self
            .inner
            .list(Some(&prefix))
            .map_ok(|m| m.location)
            .try_collect()
            .await?;
        for key in &keys {
            self.delete(key).await?;
        }
        Ok(keys.len())
    }

    /// Whether the store answers (for `/readyz`).
    pub async fn ping(&self) -> object_store::Result<()> {
        let probe = ObjectPath::from("readyz-probe");
        match self.inner.head(&probe).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(target_os = "linux")]
fn sync_filesystem(root: &Path) -> std::io::Result<()> {
    let dir = std::fs::File::open(root)?;
    nix::unistd::syncfs(&dir).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystem(_root: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Key of a segment object. The checksum is part of the key so that two racing uploads of
/// different bytes for the same segment never overwrite each other's object: the catalog row
/// names the one that won.
pub fn segment_key(recording: Uuid, track: u32, seq: u32, sha256: &str) -> ObjectPath {
    let short = sha256.get(..16).unwrap_or(sha256);
    if seq == 0 {
        ObjectPath::from(format!("recordings/{recording}/t{track}/init-{short}.mp4"))
    } else {
        ObjectPath::from(format!(
            "recordings/{recording}/t{track}/{seq:08}-{short}.m4s"
        ))
    }
}

/// Key of a track's poster.
pub fn poster_key(recording: Uuid, track: u32, ext: &str) -> ObjectPath {
    ObjectPath::from(format!("recordings/{recording}/t{track}/poster.{ext}"))
}

/// Key of a track's stored HLS playlist (written at finalize).
pub fn playlist_key(recording: Uuid, track: u32) -> ObjectPath {
    ObjectPath::from(format!("recordings/{recording}/t{track}/index.m3u8"))
}

/// How long one S3 connection attempt may take before it counts as failed.
const S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one S3 request may take (a segment is at most a few MB).
const S3_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Retries inside one API request, bounded to a few seconds. object_store's default (10 retries
/// over up to 3 minutes, with backoff up to 15 s) would hold an agent's upload open for minutes
/// while the bucket is down; the agent has its own backoff and keeps the segment in its spool,
/// so a prompt 503 with Retry-After serves it better.
fn s3_retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: Duration::from_secs(5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_built_from_ids_only() {
        let id = Uuid::nil();
        assert_eq!(
            segment_key(id, 2, 7, "abcdef0123456789ffff").as_ref(),
            "recordings/00000000-0000-0000-0000-000000000000/t2/00000007-abcdef0123456789.m4s"
        );
        assert!(
            segment_key(id, 1, 0, "ab")
                .as_ref()
                .ends_with("/t1/init-ab.mp4")
        );
    }

    #[tokio::test]
    async fn local_store_round_trips_and_deletes_a_recording() {
        let dir = std::env::temp_dir().join(format!("agentrec-store-{}", Uuid::new_v4()));
        let store = MediaStore::local(&dir).unwrap();
        let id = Uuid::new_v4();
        let key = segment_key(id, 1, 1, "00ff");
        store
            .put(&key, PutPayload::from_static(b"moof"))
            .await
            .unwrap();
        assert_eq!(store.get(&key).await.unwrap(), Bytes::from_static(b"moof"));
        assert_eq!(store.delete_recording(id).await.unwrap(), 1);
        assert!(matches!(
            store.get(&key).await,
            Err(object_store::Error::NotFound { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
