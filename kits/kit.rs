// Intentionally empty library shared by every kit crate.
