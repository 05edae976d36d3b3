//! The DynamoDB a test uses: `DYNATABLE_ENDPOINT` when set, otherwise DynamoDB Local, installed
//! on first use and started by the test binary itself.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use dynatable_core::client::{ClientConfig, ENDPOINT_ENV, check_endpoint_url};

use super::error::TestKitError;

/// The script that installs and runs DynamoDB Local (`scripts/dynamodb-local` in dynatable's
/// repository is this file).
const SCRIPT: &str = include_str!("dynamodb-local.sh");

/// Where the script keeps DynamoDB Local, when set; see [`install_dir`].
pub const INSTALL_DIR_ENV: &str = "DYNATABLE_DYNAMODB_LOCAL_DIR";

/// How long DynamoDB Local may take to listen once started.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The DynamoDB a test talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// DynamoDB Local started by this test binary, at this URL.
    Local(String),
    /// The endpoint named by `DYNATABLE_ENDPOINT` (DynamoDB Local elsewhere, LocalStack, AWS).
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
        crate::stream_client(&self.sdk_config().await)
    }

    /// The SDK configuration: the standard AWS chain for an external endpoint; fixed
    /// credentials and region for DynamoDB Local (which accepts any), so that tests do not
    /// depend on what the machine has configured, and no SDK retries (dynatable's table retries
    /// throttling and lost connections itself, with a backoff that starts at 25 ms).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let mut config = ClientConfig::default().endpoint_url(self.url());
        if let Self::Local(_) = self {
            config = config.region("us-east-1");
        }
        let sdk = config.load_sdk_config().await;
        match self {
            Self::Local(_) => {
                let credentials = aws_sdk_dynamodb::config::Credentials::new(
                    "local",
                    "local",
                    None,
                    None,
                    "dynatable-testing",
                );
                // DynamoDB Local never throttles: the only faults are a test proxy's, and those are
                // for dynatable's own retries to meet. The SDK's standard retries would take them
                // first, waiting up to seconds each (its backoff starts at 1 s).
                sdk.into_builder()
                    .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                        credentials,
                    ))
                    .retry_config(aws_config::retry::RetryConfig::disabled())
                    .build()
            }
            Self::External(_) => sdk,
        }
    }
}

/// The process running DynamoDB Local. Its standard input is a pipe this process never writes:
/// when the test binary exits, however it exits, the pipe closes and the wrapper shell stops
/// java.
struct LocalProcess {
    _child: Child,
    _stdin: ChildStdin,
}

static SHARED: OnceLock<Result<Endpoint, String>> = OnceLock::new();
static PROCESSES: Mutex<Vec<LocalProcess>> = Mutex::new(Vec::new());

/// The endpoint every test of the binary shares: `DYNATABLE_ENDPOINT` when set, otherwise one
/// DynamoDB Local, installed (see [`install_dir`]) and started on first use, stopped when the
/// test binary exits.
///
/// # Errors
/// [`TestKitError::Start`] when DynamoDB Local cannot be installed or started; the message says
/// how to fix it. [`TestKitError::Endpoint`] when `DYNATABLE_ENDPOINT` is not a URL.
pub fn endpoint() -> Result<Endpoint, TestKitError> {
    check_external()?;
    SHARED
        .get_or_init(|| match external() {
            Some(endpoint) => Ok(endpoint),
            None => start().map(Endpoint::Local),
        })
        .clone()
        .map_err(|reason| TestKitError::Start { reason })
}

/// A DynamoDB Local of the caller's own (or `DYNATABLE_ENDPOINT`), started on each call: for
/// tests of stream-enabled tables, since one DynamoDB Local copes with one such table (with
/// several, every write slows down 10-40 times, and deleting the tables does not help). It stops
/// when the test binary exits.
///
/// # Errors
/// As [`endpoint`].
pub fn dedicated_endpoint() -> Result<Endpoint, TestKitError> {
    check_external()?;
    match external() {
        Some(endpoint) => Ok(endpoint),
        None => start()
            .map(Endpoint::Local)
            .map_err(|reason| TestKitError::Start { reason }),
    }
}

/// `DYNATABLE_ENDPOINT`, when set, is a URL the SDK can send to.
fn check_external() -> Result<(), TestKitError> {
    if let Some(Endpoint::External(url)) = external() {
        check_endpoint_url(&url)?;
    }
    Ok(())
}

fn external() -> Option<Endpoint> {
    std::env::var(ENDPOINT_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .map(Endpoint::External)
}

/// Where DynamoDB Local is installed (about 70 MB, once): `DYNATABLE_DYNAMODB_LOCAL_DIR` when
/// set; else `.dynamodb-local/` in the Cargo workspace of the test (the nearest folder above the
/// crate under test that holds a `Cargo.lock`; add it to `.gitignore`); else a folder in the
/// system's temporary directory.
pub fn install_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(INSTALL_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // Cargo sets CARGO_MANIFEST_DIR when it runs a test binary.
    let workspace = std::env::var_os("CARGO_MANIFEST_DIR").and_then(|dir| {
        PathBuf::from(dir)
            .ancestors()
            .find(|d| d.join("Cargo.lock").is_file())
            .map(PathBuf::from)
    });
    match workspace {
        Some(root) => root.join(".dynamodb-local"),
        None => std::env::temp_dir().join("dynatable-dynamodb-local"),
    }
}

/// The script, run with `args`, keeping DynamoDB Local in [`install_dir`].
fn script(args: &[&str]) -> Command {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg("dynamodb-local")
        .args(args)
        .env(INSTALL_DIR_ENV, install_dir());
    command
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Installs DynamoDB Local when missing, starts it on a free port and waits until it listens.
fn start() -> Result<String, String> {
    // Install first (a no-op when installed), so the wait below measures only the start.
    let install = script(&["install"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if !install.status.success() {
        return Err(format!(
            "the install into {} failed: {}",
            install_dir().display(),
            String::from_utf8_lossy(&install.stderr).trim()
        ));
    }
    let port = free_port()?;
    // The wrapper shell runs DynamoDB Local in the background and stops it when its stdin, held
    // by this process, closes.
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(r#"bash -c "$0" dynamodb-local foreground "$1" >/dev/null 2>&1 & pid=$!; read -r _; kill "$pid" 2>/dev/null"#)
        .arg(SCRIPT)
        .arg(port.to_string())
        .env(INSTALL_DIR_ENV, install_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| "no pipe to DynamoDB Local's wrapper".to_owned())?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_TIMEOUT;
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
            return Err(format!(
                "nothing listened on port {port} after {} s",
                START_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    PROCESSES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(LocalProcess {
            _child: child,
            _stdin: stdin,
        });
    Ok(format!("http://127.0.0.1:{port}"))
}
