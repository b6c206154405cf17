// Intentionally empty library shared by every variant crate.
