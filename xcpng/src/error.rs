//! What can go wrong talking to XAPI, as values: XAPI's own refusals keep its error code
//! and parameters, so callers match on the code (`SESSION_INVALID`, `HOST_IS_SLAVE`,
//! `VM_BAD_POWER_STATE`…) rather than on text.

/// An error of a XAPI call or of provisioning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XapiError {
    /// XAPI refused the call: its error code and parameters.
    #[error("XAPI refused {method}: {code}{}", params_text(.params))]
    Refused {
        /// The method called.
        method: String,
        /// XAPI's error code (`SESSION_INVALID`, `UUID_INVALID`…).
        code: String,
        /// Its parameters, as XAPI gave them.
        params: Vec<String>,
    },
    /// The pool could not be reached, or the connection failed (TLS included).
    #[error("cannot reach XAPI at {url}: {message}")]
    Transport {
        /// Where.
        url: String,
        /// What failed.
        message: String,
    },
    /// XAPI answered with something that is not a JSON-RPC answer we understand.
    #[error("XAPI at {url} answered {method} with something else than JSON-RPC: {message}")]
    Protocol {
        /// Where.
        url: String,
        /// The method called.
        method: String,
        /// What was wrong.
        message: String,
    },
    /// The configuration cannot be used (a key named, and why).
    #[error("{0}")]
    Config(String),
    /// Something did not happen in time.
    #[error("{what}: not within {seconds} s")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        seconds: u64,
    },
    /// The work was interrupted (Ctrl-C).
    #[error("interrupted")]
    Cancelled,
}

impl XapiError {
    /// XAPI's error code, when XAPI refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            XapiError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

fn params_text(params: &[String]) -> String {
    if params.is_empty() { String::new() } else { format!(" [{}]", params.join(", ")) }
}

/// A XAPI result.
pub type XapiResult<T> = Result<T, XapiError>;
