//! One file per screen: Ask (`home`) and Data.

pub mod data;
pub mod home;
