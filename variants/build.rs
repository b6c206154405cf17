fn main() {} // Variant images are built by twoliter; Cargo only records the dependency graph.
