//! One module per page.

mod automations;
mod new_session;
mod new_session_repo;
mod not_found;
mod session;
mod session_attachments;
mod session_composer;
mod session_side;
mod sessions;
mod settings;
mod settings_integrations;
mod settings_secrets;
mod sign_in;

pub use automations::{provide_fresh_secrets, AutomationPage, AutomationsPage, EditAutomationPage, NewAutomationPage};
pub use new_session::NewSessionPage;
pub use not_found::NotFound;
pub use session::SessionPage;
pub use sessions::SessionsPage;
pub use settings::SettingsPage;
pub use sign_in::SignInScreen;
