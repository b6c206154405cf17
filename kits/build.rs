fn main() {} // Kits are built by twoliter; Cargo only records the dependency graph.
