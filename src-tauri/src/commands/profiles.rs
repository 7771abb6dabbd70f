//! Profile commands. An API key crosses into Rust once, in `set_api_key`, and never comes back.

use mediasaur::session::{ProfileCheck, ProfileInput, ProfileView};
use tauri::State;
use zeroize::Zeroizing;

use crate::error::CommandResult;
use crate::state::AppState;

/// Every profile, with whether its key is stored.
#[tauri::command]
pub async fn list_profiles(state: State<'_, AppState>) -> CommandResult<Vec<ProfileView>> {
    Ok(state.session.profiles().await?)
}

/// Creates or changes a profile.
#[tauri::command]
pub async fn save_profile(
    state: State<'_, AppState>,
    input: ProfileInput,
) -> CommandResult<ProfileView> {
    Ok(state.session.save_profile(input).await?)
}

/// Removes a profile and its key.
#[tauri::command]
pub async fn remove_profile(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    Ok(state.session.remove_profile(&name).await?)
}

/// Stores an API key in the OS keyring.
#[tauri::command]
pub async fn set_api_key(
    state: State<'_, AppState>,
    profile: String,
    key: String,
) -> CommandResult<ProfileView> {
    Ok(state
        .session
        .set_api_key(&profile, Zeroizing::new(key))
        .await?)
}

/// Tries the profile's endpoint and key.
#[tauri::command]
pub async fn test_profile(state: State<'_, AppState>, name: String) -> CommandResult<ProfileCheck> {
    Ok(state.session.test_profile(&name).await?)
}
