#!/usr/bin/env bash
# The twoliter command line as a user runs it: exit codes, messages, formats.
# Usage: test_cli.sh TWOLITER SOURCE_DIR
set -u
twoliter=$(realpath "$1")
source_dir=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

# expect STATUS PATTERN -- COMMAND...: the exit status is STATUS (or any
# non-zero for "fail") and the combined output matches the extended regex.
expect() {
    local status=$1 pattern=$2
    shift 3
    local output code
    output=$("$@" 2>&1)
    code=$?
    if { [ "$status" = fail ] && [ "$code" -eq 0 ]; } || { [ "$status" != fail ] && [ "$code" -ne "$status" ]; }; then
        echo "FAIL: $* exited $code (wanted $status)"; echo "$output" | tail -5; failures=$((failures + 1)); return
    fi
    if ! grep -Eq -- "$pattern" <<<"$output"; then
        echo "FAIL: $* output does not match /$pattern/"; echo "$output" | tail -5; failures=$((failures + 1)); return
    fi
    passes=$((passes + 1))
}

cp -r "$source_dir"/{Twoliter.toml,Release.toml,Cargo.toml,packages,variants,kits,sdk,lookaside,sbkeys} "$work"/
cp -r "$source_dir"/tests/data/mini-project "$work"/mini

cd "$work/packages/runc"  # commands find the project upwards
expect 0 'ok: 19 packages .*5 variants, 1 local and 0 external kits' -- "$twoliter" check
cd "$work"
expect 0 'Usage|usage' -- "$twoliter" --help
expect 0 'build.*graph.*why.*check|graph' -- "$twoliter" --help
expect 0 'dry-run' -- "$twoliter" build variant --help
expect 2 "did you mean 'build'" -- "$twoliter" biuld variant aws-k8s-1.31
expect 0 'Plan for variant aws-k8s-1.31 \(x86_64\)' -- "$twoliter" build variant aws-k8s-1.31 --dry-run
expect 1 'pins no SDK image' -- "$twoliter" build variant aws-k8s-1.31
expect 1 'pins no SDK image' -- "$twoliter" build kit core-kit
expect 1 'no image of kit .core-kit.* run .twoliter build kit core-kit. first' -- "$twoliter" publish kit core-kit sample
expect 1 'no Twoliter.lock to fetch kits from' -- "$twoliter" fetch
expect 0 '^  publish  ' -- "$twoliter" --help
expect 0 '"kind": "variant"' -- "$twoliter" build variant metal-dev --dry-run --json
expect 0 'Plan for package runc' -- "$twoliter" build package runc --dry-run
expect 0 'Plan for kit core-kit' -- "$twoliter" build kit core-kit --dry-run
expect 1 "no variant named 'aws-k8s-1.3'.*did you mean 'aws-k8s-1.31'" -- "$twoliter" build variant aws-k8s-1.3 --dry-run
expect 1 "unknown architecture 'riscv64'" -- "$twoliter" --arch riscv64 check
expect 0 'for aarch64' -- "$twoliter" --arch aarch64 check
expect 1 'does not support aarch64' -- "$twoliter" --arch aarch64 build variant vmware-k8s-1.31 --dry-run
expect 0 '^digraph packages' -- "$twoliter" graph --format dot
expect 0 '"runc" -> "libcap"|"runc" -> "glibc"' -- "$twoliter" graph --format dot --variant aws-k8s-1.31
expect 0 '"critical-path"' -- "$twoliter" graph --format json
expect 0 'open-vm-tools \[level 3\]' -- "$twoliter" graph --package open-vm-tools
expect 0 'bottlerocket-ecs-agent-config -> bottlerocket-ecs-agent' -- "$twoliter" why aws-ecs-2 ecs-agent
expect 0 'bottlerocket-kubelet-1.31' -- "$twoliter" why aws-k8s-1.31 kubernetes-1.31
expect 1 "not part of variant aws-k8s-1.31" -- "$twoliter" why aws-k8s-1.31 ecs-agent
expect 1 'no SDK at' -- "$twoliter" --sdk "$work/nowhere" check
expect 1 'no Twoliter.toml found' -- "$twoliter" --project-path / check
expect 0 'ok: 2 packages' -- "$twoliter" --project-path mini/Twoliter.toml --sdk "$work/sdk" check
printf '[[kit]]\nname = "extra-kit"\nversion = "1.0.0"\nvendor = "mini"\n' >>mini/Twoliter.toml
expect 1 "Twoliter.toml names kits but there is no Twoliter.lock.*twoliter update" -- "$twoliter" --project-path mini --sdk "$work/sdk" build package tool
expect 1 "kit 'extra-kit' is not available for x86_64.*twoliter fetch" -- "$twoliter" --project-path mini --sdk "$work/sdk" check
expect 1 "cannot reach registry localhost:5000|localhost:5000" -- env TWOLITER_INSECURE_REGISTRIES= "$twoliter" --project-path mini update
expect 0 '^[0-9]+\.[0-9]+\.[0-9]+' -- "$twoliter" --version

# A Cargo edge the spec does not need is a warning, an error with --strict.
sed -i 's|^glibc = { path = "../glibc" }|glibc = { path = "../glibc" }\nkernel-6_1 = { path = "../kernel-6.1" }|' packages/runc/Cargo.toml
expect 0 'warning: packages/runc/Cargo.toml: build-dependencies: declares kernel-6.1' -- "$twoliter" check
expect 1 'disagreements' -- "$twoliter" check --strict

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
