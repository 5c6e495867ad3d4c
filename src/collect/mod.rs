//! Collection: read-only API calls per provider and service, producing an
//! [`Inventory`](crate::inventory::Inventory). Collectors never judge; a failed call
//! becomes a [`CollectionError`](crate::inventory::CollectionError) and the scan goes on.

#[cfg(feature = "aws")]
pub mod aws;
pub mod aws_policy;
pub mod aws_shapes;
#[cfg(feature = "gcp")]
pub mod gcp;
pub mod progress;
pub mod request;
#[cfg(feature = "salesforce")]
pub mod salesforce;
pub mod terraform;

pub use progress::Progress;

/// Why a scan could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// No usable credentials, authentication refused, endpoint unreachable (exit 3).
    #[error("{message}")]
    Fatal {
        /// What went wrong.
        message: String,
        /// How to fix it.
        help: Option<String>,
    },
    /// The command line or configuration is wrong (exit 2).
    #[error("{0}")]
    Config(String),
}

impl CollectError {
    /// A fatal error with guidance.
    pub fn fatal(message: impl Into<String>, help: impl Into<String>) -> Self {
        CollectError::Fatal {
            message: message.into(),
            help: Some(help.into()),
        }
    }

    /// How to fix it, when known.
    pub fn help(&self) -> Option<&str> {
        match self {
            CollectError::Fatal { help, .. } => help.as_deref(),
            CollectError::Config(_) => None,
        }
    }
}

/// The error for a provider this build was compiled without.
pub fn not_built(provider: &str) -> CollectError {
    CollectError::Config(format!(
        "this mamori was built without the `{provider}` collector (cargo feature `{provider}`); \
         evaluate a saved inventory with `mamori scan --inventory FILE`"
    ))
}
