use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What an account may do. Checked on the server by every server function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Acts for a training provider (provider ECM).
    Provider,
    /// Regional staff of the Segreteria ECM.
    Segreteria,
}

impl Role {
    pub fn as_db(self) -> &'static str {
        match self {
            Role::Provider => "PROVIDER",
            Role::Segreteria => "SEGRETERIA",
        }
    }

    pub fn from_db(value: &str) -> Option<Role> {
        match value {
            "PROVIDER" => Some(Role::Provider),
            "SEGRETERIA" => Some(Role::Segreteria),
            _ => None,
        }
    }

    /// Where this role lands after logging in.
    pub fn home_path(self) -> &'static str {
        match self {
            Role::Provider => "/area",
            Role::Segreteria => "/segreteria",
        }
    }

    pub fn label_it(self) -> &'static str {
        match self {
            Role::Provider => "Provider",
            Role::Segreteria => "Segreteria ECM",
        }
    }
}

/// The logged-in account, as the UI sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The address was confirmed (verification link, or a password reset through it).
    pub email_verified: bool,
}

/// Limits on failed logins inside a sliding window (per account-and-address pair, per client
/// address; per account a slow-down, see `accounts::service::slow_down`), and on registrations per hour.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
    pub window: Duration,
    /// Registrations per client address per hour.
    pub registrations_per_address: i64,
    /// Registrations per hour, from everywhere.
    pub registrations_per_hour: i64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            window: Duration::from_secs(15 * 60),
            registrations_per_address: 10,
            registrations_per_hour: 300,
        }
    }
}
