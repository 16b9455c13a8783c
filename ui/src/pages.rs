//! One file per screen. Plainsight has one.

pub mod home;
