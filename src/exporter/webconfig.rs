//! `--web.config.file`: the Prometheus exporter-toolkit's web configuration (YAML), with TLS
//! (`tls_server_config`: certificate and key, a client CA and how client certificates are
//! asked for) and basic authentication (`basic_auth_users`: bcrypt hashes). As the toolkit
//! does, the file is read again for each connection, so a renewed certificate or a changed
//! password takes effect without a restart; the exporter reads it once at start to refuse
//! a file that would not work. Keys this exporter does not know are refused, not ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde::Deserialize;

/// Why a web configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The file is not a web configuration.
    #[error("{0}: {1}")]
    Parse(PathBuf, serde_norway::Error),
    /// A certificate or key file could not be read or holds no PEM of the kind.
    #[error("{0}: {1}")]
    Pem(PathBuf, String),
    /// TLS refused the certificates or keys.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// Something else makes no sense.
    #[error("{0}")]
    Invalid(String),
}

/// The file's contents.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// TLS, when present.
    #[serde(default)]
    pub tls_server_config: Option<TlsConfig>,
    /// User name to bcrypt hash; none: no authentication.
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
}

/// `tls_server_config`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The server's certificate chain (PEM).
    pub cert_file: PathBuf,
    /// Its private key (PEM).
    pub key_file: PathBuf,
    /// The CAs that sign client certificates (PEM).
    #[serde(default)]
    pub client_ca_file: Option<PathBuf>,
    /// How client certificates are asked for, as the toolkit names it.
    #[serde(default)]
    pub client_auth_type: Option<String>,
}

impl WebConfig {
    /// Reads and checks the file (paths in it are relative to its directory, as the
    /// toolkit takes them).
    pub fn load(path: &Path) -> Result<WebConfig, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_owned(), e))?;
        let mut c: WebConfig = if text.trim().is_empty() {
            WebConfig::default()
        } else {
            serde_norway::from_str(&text).map_err(|e| ConfigError::Parse(path.to_owned(), e))?
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Some(t) = &mut c.tls_server_config {
            t.cert_file = dir.join(&t.cert_file);
            t.key_file = dir.join(&t.key_file);
            t.client_ca_file = t.client_ca_file.as_ref().map(|f| dir.join(f));
        }
        for (user, hash) in &c.basic_auth_users {
            if !(hash.starts_with("$2") && hash.len() == 60) {
                return Err(ConfigError::Invalid(format!(
                    "basic_auth_users: the password of {user:?} is not a bcrypt hash"
                )));
            }
        }
        // Build the TLS side once, so that a file that cannot work is refused now.
        c.tls()?;
        Ok(c)
    }

    /// The TLS server configuration, when TLS is on.
    pub fn tls(&self) -> Result<Option<Arc<rustls::ServerConfig>>, ConfigError> {
        let Some(t) = &self.tls_server_config else {
            return Ok(None);
        };
        // ring rather than aws-lc-rs: it builds without cmake and links into the static
        // binaries; rustls deprecates it only for its lack of post-quantum key exchange.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let auth = t.client_auth_type.as_deref().unwrap_or("NoClientCert");
        let builder = match (auth, &t.client_ca_file) {
            ("NoClientCert", _) => builder.with_no_client_auth(),
            ("RequireAndVerifyClientCert" | "VerifyClientCertIfGiven", Some(ca)) => {
                let mut roots = RootCertStore::empty();
                for cert in certs(ca)? {
                    roots.add(cert)?;
                }
                let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let v = if auth == "VerifyClientCertIfGiven" {
                    v.allow_unauthenticated()
                } else {
                    v
                };
                builder.with_client_cert_verifier(
                    v.build()
                        .map_err(|e| ConfigError::Invalid(format!("client_ca_file: {e}")))?,
                )
            }
            ("RequireAndVerifyClientCert" | "VerifyClientCertIfGiven", None) => {
                return Err(ConfigError::Invalid(format!(
                    "client_auth_type {auth} needs a client_ca_file"
                )));
            }
            (other, _) => {
                return Err(ConfigError::Invalid(format!(
                    "client_auth_type {other:?}: this exporter knows NoClientCert, \
                     VerifyClientCertIfGiven and RequireAndVerifyClientCert"
                )));
            }
        };
        let key = PrivateKeyDer::from_pem_file(&t.key_file)
            .map_err(|e| ConfigError::Pem(t.key_file.clone(), e.to_string()))?;
        let mut config = builder.with_single_cert(certs(&t.cert_file)?, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Some(Arc::new(config)))
    }

    /// Whether a request's `Authorization` header lets it in (always, without users).
    /// Checking a bcrypt hash takes tens of milliseconds on purpose: call this where
    /// blocking is allowed.
    pub fn allows(&self, authorization: Option<&[u8]>) -> bool {
        if self.basic_auth_users.is_empty() {
            return true;
        }
        let Some((user, password)) = authorization.and_then(basic_credentials) else {
            return false;
        };
        self.basic_auth_users
            .get(&user)
            .is_some_and(|hash| bcrypt::verify(password, hash).unwrap_or(false))
    }
}

/// The certificates of a PEM file (at least one).
fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let pem = |e: &dyn std::fmt::Display| ConfigError::Pem(path.to_owned(), e.to_string());
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(&e))?;
    if certs.is_empty() {
        return Err(pem(&"no certificate"));
    }
    Ok(certs)
}

/// The user and password of a `Basic` authorization.
fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = text.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}
