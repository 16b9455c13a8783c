//! One file per screen: Ask (`home`), Data, Settings and Spending.

pub mod data;
pub mod home;
pub mod settings;
pub mod spending;
