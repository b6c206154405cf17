fn main() {} // Packages are built by twoliter from their spec files; Cargo only records the dependency graph.
