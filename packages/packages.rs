// Intentionally empty library shared by every package crate.
