//! One file per screen: Ask (`home`), Data and Settings.

pub mod data;
pub mod home;
pub mod settings;
