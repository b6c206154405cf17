#!/usr/bin/env python3
"""Generate a synthetic Bottlerocket-style project tree for benchmarking twoliter.

The tree has the layout of the sample project at the root of this repository:

    Twoliter.toml, Cargo.toml (workspace)
    sdk/macros/..., sdk/provides           (copied, so the tree is self-contained)
    packages/<name>/{Cargo.toml,<name>.spec,<name>.c}, packages/{build.rs,packages.rs}
    variants/<variant>/Cargo.toml, variants/{build.rs,variants.rs}
    (with --all-variant also variants/all-bench-1, which includes every package)
    kits/bench-kit/Cargo.toml, kits/{build.rs,kit.rs}

Shape of the package graph (deterministic from --seed):

  * ~5% base libraries without dependencies (level 0). Almost every other
    package build-requires 1-3 of them (the first one, like glibc, nearly always).
  * ~35% more libraries spread over levels 1..6; a library of level L
    build-requires one library of level L-1, so chains reach depth 7, and
    sometimes one more library of a lower level.
  * the rest are tools (leaf packages) that build-require a few libraries;
    with the deepest libraries this gives plans of up to 8 levels.

Every library makes a main RPM and a -devel RPM; a tool makes one RPM.
BuildRequires name the -devel RPM of each dependency, Requires its main RPM;
Cargo.toml mirrors them exactly ([build-dependencies] / [dependencies]).
Standard library only.
"""

import argparse
import os
import random
import shutil
import sys
import time

MARKER = ".bench-generated"
OS_MACROS = "%{_cross_os}"

SYLLABLES = [
    "ba", "bel", "cor", "da", "dex", "fen", "gal", "hox", "ix", "jun", "kel", "lor",
    "mon", "nep", "ox", "pra", "qua", "rin", "sol", "tar", "ul", "ven", "wex", "yar",
    "zin", "ar", "bro", "cy", "dro", "el", "fi", "gor",
]
TOOL_SUFFIXES = ["", "", "", "d", "-agent", "-tools", "ctl", "-utils", "-daemon"]
LICENSES = ["Apache-2.0 OR MIT", "MIT", "Apache-2.0", "BSD-3-Clause", "LGPL-2.1-or-later"]

CARGO_PROFILE = """
[profile.dev]
debug = false
opt-level = 'z'

[profile.dev.build-override]
opt-level = 'z'
"""

VARIANTS = [
    # (name, share of the tools it includes, extra metadata lines)
    ("aws-bench-1", 0.20, {
        "features": ["grub-set-private-var", "uefi-secure-boot", "xfs-data-partition",
                     "systemd-networkd"],
        "kernel": ["console=tty0", "console=ttyS0,115200n8", "net.ifnames=0", "quiet"],
        "format": None, "layout": None, "arches": None,
    }),
    ("metal-bench-1", 0.15, {
        "features": ["grub-set-private-var", "xfs-data-partition", "uefi-secure-boot",
                     "systemd-networkd"],
        "kernel": ["crashkernel=2G-:256M"],
        "format": "raw", "layout": "unified", "arches": None,
    }),
    ("vmware-bench-1", 0.10, {
        "features": ["grub-set-private-var", "uefi-secure-boot", "xfs-data-partition",
                     "systemd-networkd"],
        "kernel": ["console=tty1", "crashkernel=2G-:256M", "net.ifnames=0", "quiet"],
        "format": "vmdk", "layout": "unified", "arches": ["x86_64"],
    }),
]


class Package:
    def __init__(self, name, kind, level):
        self.name = name          # directory, spec and package name
        self.kind = kind          # "base", "lib" or "tool"
        self.level = level
        self.deps = []            # packages whose -devel it build-requires, in order
        self.version = "1.0.0"
        self.license = "MIT"
        self.releases_url = False
        self.epoch = False

    @property
    def is_library(self):
        return self.kind in ("base", "lib")

    @property
    def crate(self):
        return self.name.replace(".", "_")

    @property
    def ident(self):
        return "".join(c if c.isalnum() else "_" for c in self.name)

    @property
    def link_name(self):
        # libfoo -> -lfoo
        return self.name[3:] if self.name.startswith("lib") else self.name


def unique_name(rng, taken, prefix="", suffix_choices=("",)):
    for attempt in range(1000):
        count = 2 if attempt < 200 else 3
        stem = "".join(rng.choice(SYLLABLES) for _ in range(count))
        name = prefix + stem + rng.choice(suffix_choices)
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("cannot find a unique package name")


def build_graph(count, seed):
    rng = random.Random(seed)
    n_base = max(1, round(count * 0.05))
    n_lib = max(2, round(count * 0.35))
    n_tool = count - n_base - n_lib
    if n_tool < 1:
        raise SystemExit("--packages too small")
    taken = set()
    max_level = min(6, n_lib)

    base = [Package(unique_name(rng, taken, "lib"), "base", 0) for _ in range(n_base)]

    # Library levels: every level 1..max_level has one, the rest lean low.
    levels = list(range(1, max_level + 1))
    weights = [max_level + 1 - level for level in levels]
    lib_levels = levels + rng.choices(levels, weights=weights, k=n_lib - max_level)
    lib_levels.sort()
    libs = [Package(unique_name(rng, taken, "lib"), "lib", level) for level in lib_levels]
    by_level = {0: base}
    for lib in libs:
        by_level.setdefault(lib.level, []).append(lib)

    def base_deps():
        chosen = [base[0]] if rng.random() < 0.9 or len(base) == 1 else []
        wanted = rng.choice([1, 1, 2, 2, 3])
        others = base[1:]
        rng.shuffle(others)
        for candidate in others:
            if len(chosen) >= wanted:
                break
            chosen.append(candidate)
        if not chosen:
            chosen.append(rng.choice(base))
        return chosen

    for lib in libs:
        deps = base_deps()
        if lib.level > 1:
            deps.append(rng.choice(by_level[lib.level - 1]))
            if rng.random() < 0.4:
                lower = [p for lvl in range(1, lib.level - 1) for p in by_level.get(lvl, [])]
                if lower:
                    extra = rng.choice(lower)
                    if extra not in deps:
                        deps.append(extra)
        lib.deps = deps

    tools = []
    for index in range(n_tool):
        name = unique_name(rng, taken, "", TOOL_SUFFIXES)
        # A few versioned tools, like kubernetes-1.31: dotted package name,
        # crate name with an underscore and package-name in the metadata.
        if rng.random() < 0.03:
            versioned = "%s-%d.%d" % (name, rng.randint(1, 3), rng.randint(0, 40))
            if versioned not in taken:
                taken.add(versioned)
                name = versioned
        tool = Package(name, "tool", 0)
        deps = base_deps()
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            lib = rng.choice(libs)
            if lib not in deps:
                deps.append(lib)
        # Make sure the deepest chain ends in a tool.
        if index == 0:
            deepest = by_level[max_level][0]
            if deepest not in deps:
                deps.append(deepest)
        tool.deps = deps
        tool.level = 1 + max(dep.level for dep in deps)
        tools.append(tool)

    for package in base + libs + tools:
        package.version = "%d.%d.%d" % (rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 20))
        package.license = rng.choice(LICENSES)
        package.releases_url = rng.random() < 0.5
        package.epoch = rng.random() < 0.3

    # Variants include tools; the kit lists every library and the tools of
    # the variants.
    variant_tools = {}
    for name, share, _ in VARIANTS:
        k = max(1, round(share * len(tools)))
        variant_tools[name] = sorted(rng.sample(tools, k), key=lambda p: p.name)
    return base, libs, tools, variant_tools


# The variant --all-variant adds: every package of the tree, so that one
# "build variant all-bench-1 --packages-only" builds all of them. It draws no
# random numbers, so the rest of the tree is the same with or without it.
ALL_VARIANT = ("all-bench-1", {
    "features": ["grub-set-private-var", "uefi-secure-boot", "xfs-data-partition",
                 "systemd-networkd"],
    "kernel": ["console=ttyS0,115200n8", "quiet"],
    "format": None, "layout": None, "arches": None,
})


# --- file contents ------------------------------------------------------------

def cargo_dep_lines(deps, prefix="../"):
    if not deps:
        return ["# None"]
    return ['%s = { path = "%s%s" }' % (d.crate, prefix, d.name)
            for d in sorted(deps, key=lambda p: p.crate)]


def package_cargo(package):
    lines = ["[package]"]
    if package.crate != package.name:
        lines.append('# "." is not allowed in crate names, but we want a friendlier name for the')
        lines.append("# directory and spec file, so we override it below.")
    lines += [
        'name = "%s"' % package.crate,
        'version = "0.1.0"',
        'edition = "2021"',
        "publish = false",
        'build = "../build.rs"',
        "",
        "[lib]",
        'path = "../packages.rs"',
        "",
        "[package.metadata.build-package]",
    ]
    if package.crate != package.name:
        lines.append('package-name = "%s"' % package.name)
    if package.releases_url:
        lines.append('releases-url = "https://example.invalid/%s/releases"' % package.name)
    lines += ["", "# RPM BuildRequires", "[build-dependencies]"]
    lines += cargo_dep_lines(package.deps)
    lines += ["", "# RPM Requires", "[dependencies]"]
    lines += cargo_dep_lines(package.deps)
    return "\n".join(lines) + "\n"


def package_spec(package):
    name = package.name
    kind = "library" if package.is_library else "tool"
    summary = "The %s %s of the benchmark project" % (name, kind)
    lines = [
        "Name: %s%s" % (OS_MACROS, name),
        "Version: %s" % package.version,
        "Release: 1%{?dist}",
    ]
    if package.epoch:
        lines.append("Epoch: 1")
    lines += [
        "Summary: %s" % summary,
        "License: %s" % package.license,
        "URL: https://example.invalid/%s" % name,
        "Source0: %s.c" % name,
        "BuildRequires: gcc",
    ]
    lines += ["BuildRequires: %s%s-devel" % (OS_MACROS, d.name) for d in package.deps]
    lines += ["Requires: %s%s" % (OS_MACROS, d.name) for d in package.deps]
    lines += ["", "%description", "%{summary}.", ""]
    if package.is_library:
        lines += [
            "%package devel",
            "Summary: Files for development using the %s library" % name,
            "Requires: %{name}",
            "",
            "%description devel",
            "%{summary}.",
            "",
        ]
    links = " ".join("-l%s" % d.link_name for d in package.deps)
    lines += ["%prep", "%setup -T -c", "cp -p %{S:0} .", "", "%build", "%set_cross_build_flags"]
    if package.is_library:
        so = "%s.so" % name
        lines += [
            "${CC} ${CFLAGS} -fPIC -c %s.c -o %s.o" % (name, name),
            ("${CC} ${CFLAGS} ${LDFLAGS} -shared -Wl,-soname,%s.1 -o %s.%%{version} %s.o %s"
             % (so, so, name, links)).rstrip(),
            "printf 'int %s_value(void);\\n' > %s.h" % (package.ident, name),
            "",
            "%install",
            "install -d %{buildroot}%{_cross_libdir} %{buildroot}%{_cross_includedir}",
            "install -p -m 0755 %s.%%{version} %%{buildroot}%%{_cross_libdir}" % so,
            "ln -s %s.%%{version} %%{buildroot}%%{_cross_libdir}/%s.1" % (so, so),
            "ln -s %s.1 %%{buildroot}%%{_cross_libdir}/%s" % (so, so),
            "install -p -m 0644 %s.h %%{buildroot}%%{_cross_includedir}" % name,
            "%cross_generate_attribution",
            "",
            "%files",
            "%{_cross_attribution_file}",
            "%%{_cross_libdir}/%s.1" % so,
            "%%{_cross_libdir}/%s.%%{version}" % so,
            "",
            "%files devel",
            "%%{_cross_libdir}/%s" % so,
            "%%{_cross_includedir}/%s.h" % name,
        ]
    else:
        lines += [
            ("${CC} ${CFLAGS} ${LDFLAGS} -o %s %s.c %s" % (name, name, links)).rstrip(),
            "",
            "%install",
            "install -d %{buildroot}%{_cross_bindir}",
            "install -p -m 0755 %s %%{buildroot}%%{_cross_bindir}" % name,
            "%cross_generate_attribution",
            "",
            "%files",
            "%{_cross_attribution_file}",
            "%%{_cross_bindir}/%s" % name,
        ]
    lines += ["", "%changelog"]
    return "\n".join(lines) + "\n"


def package_source(package, seed_value):
    lines = ["/* %s: generated by tests/bench/generate_project.py */" % package.name]
    for dep in package.deps:
        lines.append("int %s_value(void);" % dep.ident)
    calls = "".join(" + %s_value()" % dep.ident for dep in package.deps)
    lines.append("")
    if package.is_library:
        lines += ["int %s_value(void)" % package.ident, "{",
                  "    return %d%s;" % (seed_value, calls), "}"]
    else:
        lines += ["int main(void)", "{", "    return (%d%s) == 0;" % (seed_value, calls), "}"]
    return "\n".join(lines) + "\n"


def toml_list(items, indent="    "):
    return "\n".join('%s"%s",' % (indent, item) for item in items)


def variant_cargo(name, tools, meta, comment="tools"):
    crate = name.replace(".", "_")
    lines = ["[package]", 'name = "%s"' % crate, 'version = "0.1.0"', 'edition = "2021"',
             "publish = false", 'build = "../build.rs"',
             "# Don't rebuild crate just because of changes to README.",
             'exclude = ["README.md"]', ""]
    if meta["layout"]:
        lines += ["[package.metadata.build-variant.image-layout]",
                  'partition-plan = "%s"' % meta["layout"], ""]
    lines += ["[package.metadata.build-variant.image-features]"]
    lines += ["%s = true" % feature for feature in meta["features"]]
    lines += ["", "[package.metadata.build-variant]"]
    if meta["format"]:
        lines.append('image-format = "%s"' % meta["format"])
    if meta["arches"]:
        lines.append("supported-arches = [%s]" % ", ".join('"%s"' % a for a in meta["arches"]))
    lines += ["included-packages = [", "# " + comment, toml_list(p.name for p in tools), "]",
              "kernel-parameters = [", toml_list(meta["kernel"]), "]", "",
              "[lib]", 'path = "../variants.rs"', "", "[build-dependencies]",
              'bench-kit = { path = "../../kits/bench-kit" }']
    return "\n".join(lines) + "\n"


def kit_cargo(packages):
    lines = ["[package]", 'name = "bench-kit"', 'version = "0.1.0"', 'edition = "2021"',
             "publish = false", 'build = "../build.rs"', "",
             "[package.metadata.build-kit]", 'vendor = "bench"', "",
             "[lib]", 'path = "../kit.rs"', "", "[build-dependencies]"]
    lines += cargo_dep_lines(packages, "../../packages/")
    return "\n".join(lines) + "\n"


TWOLITER_TOML = """schema-version = 1
release-version = "1.0.0"

# Synthetic benchmark project (tests/bench/generate_project.py, seed {seed},
# {count} packages). The registry is never contacted.
[vendor.bench]
registry = "localhost:5000/bench"

[sdk]
name = "bench-sdk"
version = "0.1.0"
vendor = "bench"
"""


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def default_sdk_source():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "sdk"))


def prepare_out(out, force):
    if os.path.lexists(out):
        if not os.path.isdir(out):
            raise SystemExit("error: %s exists and is not a directory" % out)
        if os.listdir(out):
            if not force:
                raise SystemExit("error: %s is not empty (use --force to replace a generated tree)"
                                 % out)
            if not os.path.isfile(os.path.join(out, MARKER)):
                raise SystemExit("error: refusing to replace %s: it was not made by this script"
                                 % out)
            shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)


def generate(out, count, seed, sdk_source, force=False, all_variant=False):
    base, libs, tools, variant_tools = build_graph(count, seed)
    packages = sorted(base + libs + tools, key=lambda p: p.name)
    prepare_out(out, force)
    write(os.path.join(out, MARKER), "seed=%d packages=%d\n" % (seed, count))
    write(os.path.join(out, "Twoliter.toml"), TWOLITER_TOML.format(seed=seed, count=count))

    sdk = os.path.join(out, "sdk")
    shutil.copytree(os.path.join(sdk_source, "macros"), os.path.join(sdk, "macros"))
    shutil.copy2(os.path.join(sdk_source, "provides"), os.path.join(sdk, "provides"))

    pkg_root = os.path.join(out, "packages")
    os.makedirs(pkg_root)
    write(os.path.join(pkg_root, "build.rs"),
          "fn main() {} // Packages are built by twoliter from their spec files; "
          "Cargo only records the dependency graph.\n")
    write(os.path.join(pkg_root, "packages.rs"),
          "// Intentionally empty library shared by every package crate.\n")
    value_rng = random.Random(seed * 7919 + 1)
    for package in packages:
        directory = os.path.join(pkg_root, package.name)
        os.makedirs(directory)
        write(os.path.join(directory, "Cargo.toml"), package_cargo(package))
        write(os.path.join(directory, package.name + ".spec"), package_spec(package))
        write(os.path.join(directory, package.name + ".c"),
              package_source(package, value_rng.randint(1, 99)))

    var_root = os.path.join(out, "variants")
    os.makedirs(var_root)
    write(os.path.join(var_root, "build.rs"),
          "fn main() {} // Variant images are built by twoliter; "
          "Cargo only records the dependency graph.\n")
    write(os.path.join(var_root, "variants.rs"),
          "// Intentionally empty library shared by every variant crate.\n")
    for name, _, meta in VARIANTS:
        os.makedirs(os.path.join(var_root, name))
        write(os.path.join(var_root, name, "Cargo.toml"),
              variant_cargo(name, variant_tools[name], meta))
    variant_names = [name for name, _, _ in VARIANTS]
    if all_variant:
        name, meta = ALL_VARIANT
        os.makedirs(os.path.join(var_root, name))
        write(os.path.join(var_root, name, "Cargo.toml"),
              variant_cargo(name, packages, meta, "every package of the tree"))
        variant_names.append(name)

    kit_root = os.path.join(out, "kits")
    os.makedirs(os.path.join(kit_root, "bench-kit"))
    write(os.path.join(kit_root, "build.rs"),
          "fn main() {} // Kits are built by twoliter; Cargo only records the dependency graph.\n")
    write(os.path.join(kit_root, "kit.rs"),
          "// Intentionally empty library shared by every kit crate.\n")
    in_variants = {p.name: p for tools_ in variant_tools.values() for p in tools_}
    if all_variant:
        in_variants.update((p.name, p) for p in tools)
    kit_packages = base + libs + sorted(in_variants.values(), key=lambda p: p.name)
    write(os.path.join(kit_root, "bench-kit", "Cargo.toml"), kit_cargo(kit_packages))

    members = ['    "kits/bench-kit",', ""]
    members += ['    "packages/%s",' % p.name for p in packages]
    members += [""] + ['    "variants/%s",' % name for name in variant_names]
    write(os.path.join(out, "Cargo.toml"),
          '[workspace]\nresolver = "2"\nmembers = [\n' + "\n".join(members) + "\n]\n"
          + CARGO_PROFILE)
    return {
        "packages": len(packages), "base": len(base), "libraries": len(base) + len(libs),
        "tools": len(tools), "rpms": 2 * (len(base) + len(libs)) + len(tools),
        "max_level": max(p.level for p in packages) + 1,
        "variants": dict([(name, len(t)) for name, t in variant_tools.items()]
                         + ([(ALL_VARIANT[0], len(packages))] if all_variant else [])),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory to create (empty or missing)")
    parser.add_argument("--packages", type=int, default=100, help="number of packages (10..5000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same tree)")
    parser.add_argument("--sdk-source", default=default_sdk_source(),
                        help="folder with macros/ and provides to copy (default: the repo's sdk/)")
    parser.add_argument("--force", action="store_true",
                        help="replace --out if it holds a tree generated by this script")
    parser.add_argument("--all-variant", action="store_true",
                        help="also write the variant %s, which includes every package"
                        % ALL_VARIANT[0])
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not 10 <= args.packages <= 5000:
        parser.error("--packages must be between 10 and 5000")
    for needed in ("macros", "provides"):
        if not os.path.exists(os.path.join(args.sdk_source, needed)):
            parser.error("no %s in --sdk-source %s" % (needed, args.sdk_source))
    started = time.perf_counter()
    summary = generate(os.path.abspath(args.out), args.packages, args.seed, args.sdk_source,
                       args.force, args.all_variant)
    elapsed = (time.perf_counter() - started) * 1000
    if not args.quiet:
        print("generated %s: %d packages (%d base, %d libraries, %d tools), %d RPMs, "
              "up to %d plan levels, variants %s in %.0f ms"
              % (args.out, summary["packages"], summary["base"], summary["libraries"],
                 summary["tools"], summary["rpms"], summary["max_level"],
                 ", ".join("%s=%d" % kv for kv in summary["variants"].items()), elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
