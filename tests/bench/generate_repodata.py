#!/usr/bin/env python3
"""Generate the metadata of a large synthetic RPM repository (createrepo_c format).

Writes OUT/repodata/repomd.xml and <sha256>-{primary,filelists,other}.xml.gz,
as createrepo_c lays them out (unique file names, gzip, SHA-256 checksums,
open-checksums and sizes). No RPM file is written: the metadata alone is what
a resolver reads. Deterministic from --seed: the same arguments give the same
bytes.

Shape (a Fedora-like distribution, every name carrying --prefix):

  * a fixed core: glibc (libc.so.6()(64bit), versioned GLIBC_2.x symbols,
    rtld(GNU_HASH)), bash (/bin/sh, /usr/bin/sh), coreutils, systemd, python3,
    perl, pkgconf, shadow-utils, ...;
  * source packages, each making 1-8 binary packages: C libraries (lib + devel
    + tools/doc/static), applications (main + libs/common/doc/devel), Python
    modules (python3-*, python3.12dist(...)), Perl modules (perl(Foo::Bar)),
    fonts and Go sources (noarch);
  * dependencies only on earlier sources, chosen with preferential attachment
    (popular libraries get more dependents), so everything is installable:
    sonames like libfoo.so.1()(64bit), versioned requires (foo >= 1.2,
    foo(x86-64) = 1:2.3-4), file requires (/bin/sh, /usr/bin/perl,
    /usr/bin/pkg-config), virtual provides with several providers (webserver,
    MTA), rich dependencies, weak dependencies, conflicts and obsoletes;
  * file lists with a heavy tail (docs, man pages, locales, headers).

--roots-file writes names (without the prefix) of application packages, one
per line, in a seeded random order: the variant of a resolution benchmark
includes the first N. The XML is written by repodata_writer.py beside this
file. Standard library only.
"""

import argparse
import random
import sys
import time

from repodata_writer import write_repository

SYLLABLES = ["ba", "bel", "cor", "da", "dex", "fen", "gal", "hox", "ix", "jun", "kel", "lor",
             "mon", "nep", "ox", "pra", "qua", "rin", "sol", "tar", "ul", "ven", "wex", "yar",
             "zin", "ar", "bro", "cy", "dro", "el", "fi", "gor"]
LOCALES = ["de", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt_BR", "ru", "sv", "tr", "uk",
           "zh_CN", "zh_TW", "cs", "da", "fi", "hu", "nb"]
GLIBC_SYMBOLS = ["GLIBC_2.2.5", "GLIBC_2.3", "GLIBC_2.3.4", "GLIBC_2.4", "GLIBC_2.14",
                 "GLIBC_2.17", "GLIBC_2.28", "GLIBC_2.33", "GLIBC_2.34", "GLIBC_2.38"]
PY = "3.12"
PERL_COMPAT = "perl(:MODULE_COMPAT_5.38.2)"
VIRTUALS = ["webserver", "MTA", "syslog"]
KINDS = [("clib", 30), ("app", 34), ("python", 14), ("perl", 10), ("font", 4), ("golang", 8)]


class Binary:
    """One package of the repository, as primary.xml describes it."""

    def __init__(self, name, version, release, arch, epoch=0):
        self.name, self.version, self.release, self.arch = name, version, release, arch
        self.epoch = epoch
        self.provides, self.requires, self.conflicts, self.obsoletes = [], [], [], []
        self.recommends, self.supplements = [], []
        self.files = []  # (path, is_directory)
        self.source = ""

    def evr(self):
        return "%s%s-%s" % ("%d:" % self.epoch if self.epoch else "", self.version, self.release)

    def exact(self):
        """(name, flags, epoch, version, release) of `name = EVR`."""
        return ("EQ", self.epoch, self.version, self.release)


def dep(name, flags=None, epoch=0, version=None, release=None, pre=False):
    return (name, flags, epoch, version, release, pre)


class Generator:
    def __init__(self, seed, prefix, arch):
        self.rng = random.Random(seed)
        self.seed, self.prefix, self.arch = seed, prefix, arch
        self.taken = {}
        self.binaries = []
        self.sonames = []  # urn for preferential attachment: (soname, lib binary)
        self.pkgconfigs = []  # (pkgconfig name, devel binary)
        self.python_mods, self.perl_mods, self.go_mods, self.apps = [], [], [], []
        self.virtuals = {}  # virtual names with at least one provider

    # --- names and basics ----------------------------------------------------
    def stem(self):
        rng = self.rng
        for attempt in range(10000):
            count = rng.choice([2, 2, 3, 3, 3, 4]) + attempt // 2000
            name = "".join(rng.choice(SYLLABLES) for _ in range(count))
            if name not in self.taken:
                self.taken[name] = True
                return name
        raise RuntimeError("no unique name left")

    def version(self):
        rng = self.rng
        return "%d.%d.%d" % (rng.randint(0, 12), rng.randint(0, 40), rng.randint(0, 20))

    def new(self, name, version, release, arch, epoch=0):
        binary = Binary(self.prefix + name, version, release, arch, epoch)
        binary.provides.append(dep(binary.name, "EQ", epoch, version, release))
        if arch != "noarch":
            binary.provides.append(dep("%s(%s)" % (binary.name, self.isa()), "EQ", epoch,
                                       version, release))
        return binary

    def isa(self):
        return self.arch.replace("_", "-")

    def pick(self, urn, count):
        """Up to count distinct entries of urn, popular ones more likely."""
        chosen = []
        for _ in range(count * 3):
            if not urn or len(chosen) >= count:
                break
            entry = self.rng.choice(urn)
            if entry not in chosen:
                chosen.append(entry)
        for entry in chosen:
            urn.append(entry)  # the rich get richer
        return chosen

    def elf(self, binary, extra_sonames=0):
        """An ELF binary's requires: glibc, then libraries it links."""
        rng = self.rng
        binary.requires.append(dep("libc.so.6()(64bit)"))
        for symbol in rng.sample(GLIBC_SYMBOLS, rng.randint(1, 3)):
            binary.requires.append(dep("libc.so.6(%s)(64bit)" % symbol))
        binary.requires.append(dep("rtld(GNU_HASH)"))
        if rng.random() < 0.3:
            binary.requires.append(dep("libgcc_s.so.1()(64bit)"))
        if rng.random() < 0.2:
            binary.requires.append(dep("libstdc++.so.6()(64bit)"))
            binary.requires.append(dep("libstdc++.so.6(GLIBCXX_3.4)(64bit)"))
        for soname, lib in self.pick(self.sonames, extra_sonames):
            binary.requires.append(dep(soname))
            if rng.random() < 0.15:  # a minimum version too
                binary.requires.append(dep(lib.name, "GE", 0, lib.version.rsplit(".", 1)[0]))

    def docs(self, binary, stem, many=False):
        rng = self.rng
        doc = "/usr/share/doc/%s" % binary.name
        binary.files.append((doc, True))
        for name in rng.sample(["README", "NEWS", "AUTHORS", "ChangeLog", "CONTRIBUTING.md",
                                "TODO", "THANKS", "README.md"], rng.randint(1, 4)):
            binary.files.append((doc + "/" + name, False))
        if many:
            binary.files.append((doc + "/html", True))
            for i in range(int(rng.paretovariate(1.2) * 8)):
                binary.files.append((doc + "/html/%s-%d.html" % (stem, i), False))
        binary.files.append(("/usr/share/licenses/%s" % binary.name, True))
        binary.files.append(("/usr/share/licenses/%s/LICENSE" % binary.name, False))

    def locales(self, binary, stem):
        if self.rng.random() < 0.25:
            for locale in self.rng.sample(LOCALES, self.rng.randint(3, len(LOCALES))):
                binary.files.append(("/usr/share/locale/%s/LC_MESSAGES/%s.mo" % (locale, stem),
                                     False))

    def man(self, binary, stem, section, count):
        for i in range(count):
            suffix = "" if i == 0 else "-" + self.stem_part()
            binary.files.append(("/usr/share/man/man%d/%s%s.%d.gz" % (section, stem, suffix,
                                                                       section), False))

    def stem_part(self):
        return self.rng.choice(SYLLABLES) + self.rng.choice(SYLLABLES)

    def add_source(self, binaries, head=None):
        head = head or binaries[0]
        source = "%s-%s-%s.src.rpm" % (head.name, head.version, head.release)
        for binary in binaries:
            binary.source = source
            if self.rng.random() < 0.02:
                binary.obsoletes.append(dep(binary.name + "-compat", "LT", 0, "0.9"))
            if self.rng.random() < 0.01:
                binary.conflicts.append(dep(binary.name + "-legacy"))
        return binaries

    def release(self):
        return "%d.tw1" % self.rng.randint(1, 9)

    # --- the core every distribution has ------------------------------------
    def core(self):
        p, out = self.prefix, []
        glibc = self.new("glibc", "2.38", "14.tw1", self.arch)
        for soname in ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1"]:
            glibc.provides.append(dep("%s()(64bit)" % soname))
            for symbol in GLIBC_SYMBOLS:
                glibc.provides.append(dep("%s(%s)(64bit)" % (soname, symbol)))
        glibc.provides += [dep("ld-linux-x86-64.so.2()(64bit)"), dep("rtld(GNU_HASH)"),
                           dep("config(%sglibc)" % p, "EQ", 0, "2.38", "14.tw1")]
        glibc.requires += [dep(p + "basesystem"), dep(p + "glibc-common", "EQ", 0, "2.38",
                                                      "14.tw1")]
        glibc.files += [("/etc/ld.so.conf", False), ("/usr/lib64/libc.so.6", False),
                        ("/usr/lib64/ld-linux-x86-64.so.2", False), ("/usr/sbin/ldconfig", False)]
        common = self.new("glibc-common", "2.38", "14.tw1", self.arch)
        common.files += [("/usr/bin/locale", False), ("/usr/bin/iconv", False)]
        basesystem = self.new("basesystem", "11", "18.tw1", "noarch")
        basesystem.requires += [dep(p + "filesystem"), dep(p + "setup")]
        filesystem = self.new("filesystem", "3.18", "8.tw1", self.arch)
        for directory in ["/etc", "/usr", "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/sbin",
                          "/usr/share", "/usr/share/doc", "/usr/share/man", "/var", "/opt"]:
            filesystem.files.append((directory, True))
        setup = self.new("setup", "2.14.5", "2.tw1", "noarch")
        setup.files += [("/etc/passwd", False), ("/etc/group", False), ("/etc/services", False)]
        bash = self.new("bash", "5.2.26", "3.tw1", self.arch)
        bash.provides += [dep("/bin/sh"), dep("/bin/bash"), dep("config(%sbash)" % p)]
        bash.files += [("/usr/bin/bash", False), ("/usr/bin/sh", False), ("/etc/skel/.bashrc",
                                                                          False)]
        self.elf(bash)
        out += [glibc, common, basesystem, filesystem, setup, bash]
        for name, files, sonames in [
                ("libgcc", [], ["libgcc_s.so.1()(64bit)", "libgcc_s.so.1(GCC_3.0)(64bit)"]),
                ("libstdc++", [], ["libstdc++.so.6()(64bit)", "libstdc++.so.6(GLIBCXX_3.4)(64bit)"]),
                ("zlib", [], ["libz.so.1()(64bit)", "libz.so.1(ZLIB_1.2.9)(64bit)"]),
                ("openssl-libs", [], ["libssl.so.3()(64bit)", "libcrypto.so.3()(64bit)",
                                      "libcrypto.so.3(OPENSSL_3.0.0)(64bit)"]),
                ("coreutils", ["/usr/bin/ls", "/usr/bin/cp", "/usr/bin/env"], []),
                ("grep", ["/usr/bin/grep"], []), ("sed", ["/usr/bin/sed"], []),
                ("systemd", ["/usr/bin/systemctl", "/usr/lib/systemd/systemd"],
                 ["libsystemd.so.0()(64bit)"]),
                ("shadow-utils", ["/usr/sbin/useradd", "/usr/sbin/groupadd"], []),
                ("pkgconf-pkg-config", ["/usr/bin/pkg-config"], ["pkgconfig"]),
                ("python3", ["/usr/bin/python3", "/usr/bin/python%s" % PY], []),
                ("python3-libs", ["/usr/lib64/libpython%s.so.1.0" % PY],
                 ["python(abi) = %s" % PY, "libpython%s.so.1.0()(64bit)" % PY]),
                ("perl-interpreter", ["/usr/bin/perl"], []),
                ("perl-libs", ["/usr/lib64/perl5/CORE/libperl.so"],
                 [PERL_COMPAT, "libperl.so.5.38()(64bit)", "perl(strict)", "perl(warnings)"]),
                ("fontpackages-filesystem", ["/usr/share/fonts"], []),
                ("ca-certificates", ["/etc/pki/tls/certs/ca-bundle.crt"], []),
                ("tzdata", ["/usr/share/zoneinfo/UTC"], [])]:
            arch = "noarch" if name in ("fontpackages-filesystem", "ca-certificates",
                                        "tzdata") else self.arch
            binary = self.new(name, self.version(), "1.tw1", arch)
            for soname in sonames:
                name_part, _, value = soname.partition(" = ")
                binary.provides.append(dep(name_part, "EQ" if value else None, 0,
                                           value or None))
            binary.files += [(path, False) for path in files]
            if arch != "noarch":
                self.elf(binary)
            out.append(binary)
        by_name = {b.name[len(p):]: b for b in out}
        by_name["python3"].requires += [dep(p + "python3-libs", "EQ", 0,
                                            by_name["python3-libs"].version, "1.tw1")]
        by_name["perl-interpreter"].requires.append(dep(p + "perl-libs"))
        by_name["systemd"].requires += [dep("/bin/sh", pre=True), dep(p + "shadow-utils",
                                                                      pre=True)]
        by_name["systemd"].provides.append(dep("systemd-units"))
        self.sonames += [("libz.so.1()(64bit)", by_name["zlib"])] * 20
        self.sonames += [("libcrypto.so.3()(64bit)", by_name["openssl-libs"])] * 15
        self.sonames += [("libsystemd.so.0()(64bit)", by_name["systemd"])] * 6
        return self.add_source(out)

    # --- one source package of each kind -------------------------------------
    def clib(self):
        rng, stem = self.rng, self.stem()
        version, release, major = self.version(), self.release(), rng.randint(0, 9)
        epoch = 1 if rng.random() < 0.08 else 0
        libname = stem if stem.startswith("lib") else "lib" + stem
        name = libname if rng.random() < 0.5 else stem + "-libs"
        lib = self.new(name, version, release, self.arch, epoch)
        soname = "%s.so.%d" % (libname, major)
        lib.provides.append(dep("%s()(64bit)" % soname))
        for symbol in range(rng.randint(0, 3)):
            lib.provides.append(dep("%s(%s_%d.%d)(64bit)" % (soname, stem.upper(), major,
                                                             symbol)))
        lib.files += [("/usr/lib64/%s.%d.0.0" % (libname, major), False),
                      ("/usr/lib64/%s" % soname, False)]
        self.elf(lib, rng.choice([0, 1, 1, 2, 3, 4]))
        self.docs(lib, stem)
        devel = self.new(name + "-devel", version, release, self.arch, epoch)
        devel.provides.append(dep("pkgconfig(%s)" % stem, "EQ", 0, version))
        devel.requires += [dep("%s(%s)" % (lib.name, self.isa()), *lib.exact()),
                           dep("%s()(64bit)" % soname), dep("/usr/bin/pkg-config")]
        for pkgconfig, _ in self.pick(self.pkgconfigs, rng.choice([0, 0, 1, 2])):
            devel.requires.append(dep("pkgconfig(%s)" % pkgconfig))
        devel.files += [("/usr/include/%s" % stem, True), ("/usr/lib64/%s.so" % libname, False),
                        ("/usr/lib64/pkgconfig/%s.pc" % stem, False)]
        for i in range(int(rng.paretovariate(1.5) * 3)):
            devel.files.append(("/usr/include/%s/%s.h" % (stem, self.stem_part() + str(i)),
                                False))
        self.man(devel, stem, 3, rng.randint(0, 12))
        out = [lib, devel]
        if rng.random() < 0.35:
            tools = self.new(stem + "-tools", version, release, self.arch, epoch)
            tools.requires.append(dep(lib.name, *lib.exact()))
            self.elf(tools, 1)
            tools.files += [("/usr/bin/%s%s" % (stem, s), False) for s in ["", "-info"]]
            self.man(tools, stem, 1, 2)
            out.append(tools)
            self.apps.append(tools)
        if rng.random() < 0.2:
            static = self.new(name + "-static", version, release, self.arch, epoch)
            static.requires.append(dep(devel.name, *devel.exact()))
            static.files.append(("/usr/lib64/%s.a" % libname, False))
            out.append(static)
        if rng.random() < 0.25:
            doc = self.new(name + "-doc", version, release, "noarch", epoch)
            self.docs(doc, stem, many=True)
            out.append(doc)
        self.sonames += [(("%s()(64bit)" % soname), lib)] * 2
        self.pkgconfigs.append((stem, devel))
        return self.add_source(out)

    def app(self):
        rng, stem = self.rng, self.stem()
        version, release = self.version(), self.release()
        epoch = 2 if rng.random() < 0.05 else 0
        main = self.new(stem + rng.choice(["", "", "", "d", "-utils", "ctl"]), version,
                        release, self.arch, epoch)
        self.elf(main, rng.choice([0, 1, 2, 2, 3, 4, 6]))
        main.files += [("/usr/bin/%s" % main.name[len(self.prefix):], False),
                       ("/etc/%s" % stem, True), ("/etc/%s/%s.conf" % (stem, stem), False)]
        main.provides.append(dep("config(%s)" % main.name, *main.exact()))
        self.docs(main, stem)
        self.man(main, stem, rng.choice([1, 8]), rng.randint(1, 4))
        self.locales(main, stem)
        if rng.random() < 0.3:  # a daemon
            main.files.append(("/usr/lib/systemd/system/%s.service" % stem, False))
            main.requires += [dep(self.prefix + "systemd"), dep("/bin/sh", pre=True)]
            main.requires.append(dep(self.prefix + "shadow-utils", pre=True))
            if rng.random() < 0.1:  # one of several providers of a virtual name
                virtual = rng.choice(VIRTUALS)
                main.provides.append(dep(virtual))
                self.virtuals[virtual] = True
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            if self.apps:
                other = rng.choice(self.apps)
                main.requires.append(dep(other.name, "GE", other.epoch, other.version))
        if rng.random() < 0.1:
            main.requires.append(dep(rng.choice(["/usr/bin/python3", "/usr/bin/perl"])))
        if rng.random() < 0.05 and len(self.apps) > 2:
            a, b = rng.sample(self.apps, 2)
            main.requires.append(dep("(%s or %s)" % (a.name, b.name)))
        if rng.random() < 0.05 and self.virtuals:
            main.requires.append(dep(rng.choice(sorted(self.virtuals))))
        if rng.random() < 0.1 and self.apps:
            main.recommends.append(dep(rng.choice(self.apps).name))
        out = [main]
        if rng.random() < 0.3:  # listed first: main needs it
            common = self.new(stem + "-common", version, release, "noarch", epoch)
            common.files += [("/usr/share/%s" % stem, True)]
            common.files += [("/usr/share/%s/%s-%d.dat" % (stem, stem, i), False)
                             for i in range(int(rng.paretovariate(1.1) * 4))]
            main.requires.append(dep(common.name, *common.exact()))
            out.insert(0, common)
        if rng.random() < 0.15:
            doc = self.new(stem + "-doc", version, release, "noarch", epoch)
            self.docs(doc, stem, many=True)
            doc.supplements.append(dep("(%s and %sman-pages)" % (main.name, self.prefix)))
            out.append(doc)
        self.apps.append(main)
        return self.add_source(out, main)

    def python(self):
        rng, stem = self.rng, self.stem()
        version = self.version()
        module = self.new("python3-" + stem, version, self.release(), "noarch")
        module.provides += [dep("python%sdist(%s)" % (PY, stem), "EQ", 0, version),
                            dep("python3dist(%s)" % stem, "EQ", 0, version),
                            dep("python-%s" % stem, *module.exact())]
        module.requires.append(dep("python(abi)", "EQ", 0, PY))
        for other, other_version in self.pick(self.python_mods, rng.choice([0, 1, 1, 2, 3])):
            module.requires.append(dep("python%sdist(%s)" % (PY, other), "GE", 0,
                                       other_version.split(".")[0]))
        site = "/usr/lib/python%s/site-packages/%s" % (PY, stem)
        module.files += [(site, True), (site + "/__init__.py", False),
                         (site + "/__pycache__", True)]
        for i in range(int(rng.paretovariate(1.3) * 3)):
            part = self.stem_part() + str(i)
            module.files += [(site + "/%s.py" % part, False),
                             (site + "/__pycache__/%s.cpython-312.pyc" % part, False)]
        self.docs(module, stem)
        self.python_mods += [(stem, version)] * 2
        if rng.random() < 0.3:
            self.apps.append(module)
        return self.add_source([module])

    def perl(self):
        rng, stem = self.rng, self.stem()
        parts = [stem.capitalize(), self.stem_part().capitalize()]
        module_name, version = "::".join(parts), "%d.%02d" % (rng.randint(0, 5),
                                                              rng.randint(0, 99))
        module = self.new("perl-" + "-".join(parts), version, self.release(), "noarch")
        module.provides.append(dep("perl(%s)" % module_name, "EQ", 0, version))
        module.requires += [dep(PERL_COMPAT), dep("perl(strict)"), dep("perl(warnings)")]
        for other in self.pick(self.perl_mods, rng.choice([0, 1, 2, 3])):
            module.requires.append(dep("perl(%s)" % other))
        path = "/usr/share/perl5/vendor_perl/" + "/".join(parts)
        module.files += [(path + ".pm", False), ("/usr/share/man/man3/%s.3pm.gz" % module_name,
                                                 False)]
        self.perl_mods += [module_name] * 2
        return self.add_source([module])

    def font(self):
        stem = self.stem()
        font = self.new(stem + "-fonts", self.version(), self.release(), "noarch")
        font.provides.append(dep("font(%s)" % stem))
        font.requires.append(dep(self.prefix + "fontpackages-filesystem"))
        font.files += [("/usr/share/fonts/%s" % stem, True)]
        font.files += [("/usr/share/fonts/%s/%s-%s.ttf" % (stem, stem, style), False)
                       for style in ["Regular", "Bold", "Italic", "BoldItalic"]]
        return self.add_source([font])

    def golang(self):
        rng, stem = self.rng, self.stem()
        path = "github.com/%s/%s" % (self.stem_part(), stem)
        devel = self.new("golang-%s-devel" % stem, self.version(), self.release(), "noarch")
        devel.provides.append(dep("golang(%s)" % path, "EQ", 0, devel.version))
        for other in self.pick(self.go_mods, rng.choice([0, 1, 2, 3, 4])):
            devel.requires.append(dep("golang(%s)" % other))
        root = "/usr/share/gocode/src/" + path
        devel.files += [(root, True)] + [(root + "/%s.go" % self.stem_part(), False)
                                         for _ in range(int(rng.paretovariate(1.2) * 4))]
        self.go_mods += [path] * 2
        return self.add_source([devel])

    def generate(self, count):
        self.binaries = self.core()
        makers = {"clib": self.clib, "app": self.app, "python": self.python, "perl": self.perl,
                  "font": self.font, "golang": self.golang}
        kinds = [kind for kind, _ in KINDS]
        weights = [weight for _, weight in KINDS]
        while len(self.binaries) < count:
            made = makers[self.rng.choices(kinds, weights)[0]]()
            # Later binaries of a source need only earlier ones: cutting the
            # last source short leaves everything installable.
            self.binaries += made[:count - len(self.binaries)]
        kept = set(self.binaries)
        self.apps = [a for a in self.apps if a in kept]
        return self.binaries


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="repository folder (repodata/ goes in it)")
    parser.add_argument("--packages", type=int, default=60000, help="binary packages (>= 100)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same bytes)")
    parser.add_argument("--prefix", default="bottlerocket-", help="prefix of every package name")
    parser.add_argument("--arch", default="x86_64", choices=["x86_64", "aarch64"])
    parser.add_argument("--no-other", action="store_true", help="do not write other.xml.gz")
    parser.add_argument("--roots-file", help="write application package names here (no prefix)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.packages < 100:
        parser.error("--packages must be at least 100")
    started = time.perf_counter()
    generator = Generator(args.seed, args.prefix, args.arch)
    binaries = generator.generate(args.packages)
    write_repository(args.out, binaries, args.seed, not args.no_other)
    if args.roots_file:
        roots = [b.name[len(args.prefix):] for b in generator.apps]
        random.Random(args.seed * 17 + 3).shuffle(roots)
        with open(args.roots_file, "w", encoding="utf-8") as handle:
            handle.write("".join(name + "\n" for name in roots))
    if not args.quiet:
        count = lambda attribute: sum(len(getattr(b, attribute)) for b in binaries)
        print("generated %s: %d packages (%d noarch), %d provides, %d requires, %d files, "
              "%d applications, in %.0f ms" % (
                  args.out, len(binaries), sum(b.arch == "noarch" for b in binaries),
                  count("provides"), count("requires"), count("files"), len(generator.apps),
                  (time.perf_counter() - started) * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
