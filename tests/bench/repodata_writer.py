"""Writing createrepo_c-style repository metadata for generate_repodata.py.

write_repository(out, binaries, seed, with_other) writes OUT/repodata/:
<sha256>-primary.xml.gz, -filelists.xml.gz and (with_other) -other.xml.gz,
gzip without file name or time, then repomd.xml with each file's checksum,
open-checksum, sizes and location, as createrepo_c lays them out. Each file
is written under a temporary name and renamed. binaries are
generate_repodata.Binary objects. Standard library only.
"""

import gzip
import hashlib
import os
import random

EPOCH_TIME = 1700000000
LICENSES = ["MIT", "Apache-2.0", "GPL-2.0-or-later", "LGPL-2.1-or-later", "BSD-3-Clause",
            "GPL-3.0-or-later", "MPL-2.0", "Apache-2.0 OR MIT"]


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def in_primary(path):
    """The files createrepo_c also lists in primary.xml."""
    return path.startswith("/etc/") or "bin/" in path or path == "/usr/lib/sendmail"


def entry_xml(entry):
    name, flags, epoch, version, release, pre = entry
    text = '<rpm:entry name="%s"' % escape(name)
    if flags:
        text += ' flags="%s" epoch="%d" ver="%s"' % (flags, epoch, version)
        if release:
            text += ' rel="%s"' % release
    return text + (' pre="1"/>' if pre else "/>")


def deps_xml(tag, entries):
    if not entries:
        return ""
    return ("    <rpm:%s>\n" % tag + "".join("      %s\n" % entry_xml(e) for e in entries)
            + "    </rpm:%s>\n" % tag)


def file_xml(path, is_directory, indent):
    kind = ' type="dir"' if is_directory else ""
    return '%s<file%s>%s</file>\n' % (indent, kind, escape(path))


def version_xml(binary):
    return '<version epoch="%d" ver="%s" rel="%s"/>' % (binary.epoch, binary.version,
                                                        binary.release)


class Package:
    """What the XML of one binary needs beyond Binary: checksum, sizes, times."""

    def __init__(self, binary, rng):
        self.binary = binary
        nevra = "%s-%s.%s" % (binary.name, binary.evr(), binary.arch)
        self.pkgid = hashlib.sha256(nevra.encode()).hexdigest()
        self.location = "Packages/%s/%s-%s-%s.%s.rpm" % (
            binary.name[0] if binary.name[0].isalpha() else "_", binary.name, binary.version,
            binary.release, binary.arch)
        self.size = rng.randint(6000, 400000) + 2000 * len(binary.files)
        self.time = EPOCH_TIME + rng.randint(0, 30000000)
        self.header_end = 4504 + 300 * len(binary.files) // 4 + rng.randint(800, 9000)


def primary_xml(package):
    b = package.binary
    summary = "The %s package of the benchmark distribution" % b.name
    parts = [
        '<package type="rpm">\n',
        "  <name>%s</name>\n  <arch>%s</arch>\n  %s\n" % (b.name, b.arch, version_xml(b)),
        '  <checksum type="sha256" pkgid="YES">%s</checksum>\n' % package.pkgid,
        "  <summary>%s</summary>\n  <description>%s. Generated for resolution benchmarks."
        "</description>\n" % (summary, summary),
        "  <packager>Benchmark Builders &lt;bench@example.invalid&gt;</packager>\n",
        "  <url>https://example.invalid/%s</url>\n" % b.name,
        '  <time file="%d" build="%d"/>\n' % (package.time, package.time - 3600),
        '  <size package="%d" installed="%d" archive="%d"/>\n' % (
            package.size, package.size * 3, package.size * 3 + 1024),
        '  <location href="%s"/>\n' % package.location,
        "  <format>\n    <rpm:license>%s</rpm:license>\n" % LICENSES[len(b.name) % len(LICENSES)],
        "    <rpm:vendor>Benchmark</rpm:vendor>\n    <rpm:group>Unspecified</rpm:group>\n",
        "    <rpm:buildhost>builder</rpm:buildhost>\n",
        "    <rpm:sourcerpm>%s</rpm:sourcerpm>\n" % b.source,
        '    <rpm:header-range start="4504" end="%d"/>\n' % package.header_end,
        deps_xml("provides", b.provides), deps_xml("requires", b.requires),
        deps_xml("conflicts", b.conflicts), deps_xml("obsoletes", b.obsoletes),
        deps_xml("recommends", b.recommends), deps_xml("supplements", b.supplements),
    ]
    parts += [file_xml(path, d, "    ") for path, d in b.files if in_primary(path)]
    parts.append("  </format>\n</package>\n")
    return "".join(parts)


def filelists_xml(package):
    b = package.binary
    return ('<package pkgid="%s" name="%s" arch="%s">\n  %s\n' % (
        package.pkgid, b.name, b.arch, version_xml(b))
        + "".join(file_xml(path, d, "  ") for path, d in b.files) + "</package>\n")


def other_xml(package):
    b = package.binary
    entries = "".join(
        '  <changelog author="Benchmark Builders &lt;bench@example.invalid&gt; - %s-%s" '
        'date="%d">- Update to %s (%d)</changelog>\n' % (
            b.version, b.release, package.time - 86400 * 30 * i, b.version, i)
        for i in range(1 + len(b.files) % 3))
    return ('<package pkgid="%s" name="%s" arch="%s">\n  %s\n' % (
        package.pkgid, b.name, b.arch, version_xml(b)) + entries + "</package>\n")


KINDS_OF_METADATA = [
    ("primary", primary_xml, '<metadata xmlns="http://linux.duke.edu/metadata/common" '
     'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">\n', "</metadata>\n"),
    ("filelists", filelists_xml, '<filelists xmlns="http://linux.duke.edu/metadata/filelists" '
     'packages="%d">\n', "</filelists>\n"),
    ("other", other_xml, '<otherdata xmlns="http://linux.duke.edu/metadata/other" '
     'packages="%d">\n', "</otherdata>\n"),
]


class HashingWriter:
    """Counts and hashes what is written through it (the open-checksum)."""

    def __init__(self, target):
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def write(self, text):
        data = text.encode("utf-8")
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)


def write_metadata(repodata, kind, render, head, tail, packages):
    """Writes <sha256>-<kind>.xml.gz; returns its repomd.xml <data> element."""
    temporary = os.path.join(repodata, ".%s.xml.gz.tmp" % kind)
    with open(temporary, "wb") as raw:
        # No file name and mtime 0 in the gzip header: reproducible bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6,
                           mtime=0) as compressed:
            writer = HashingWriter(compressed)
            writer.write('<?xml version="1.0" encoding="UTF-8"?>\n' + head % len(packages))
            chunk = []
            for package in packages:
                chunk.append(render(package))
                if len(chunk) == 256:
                    writer.write("".join(chunk))
                    chunk = []
            writer.write("".join(chunk) + tail)
    digest = hashlib.sha256()
    with open(temporary, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    name = "%s-%s.xml.gz" % (digest.hexdigest(), kind)
    os.replace(temporary, os.path.join(repodata, name))
    return ('  <data type="%s">\n    <checksum type="sha256">%s</checksum>\n'
            '    <open-checksum type="sha256">%s</open-checksum>\n'
            '    <location href="repodata/%s"/>\n    <timestamp>%d</timestamp>\n'
            '    <size>%d</size>\n    <open-size>%d</open-size>\n  </data>\n' % (
                kind, digest.hexdigest(), writer.digest.hexdigest(), name, EPOCH_TIME,
                os.path.getsize(os.path.join(repodata, name)), writer.size))


def write_repository(out, binaries, seed, with_other):
    repodata = os.path.join(out, "repodata")
    os.makedirs(repodata, exist_ok=True)
    for name in os.listdir(repodata):  # a rerun replaces the metadata whole
        if name.endswith(".xml.gz") or name == "repomd.xml":
            os.unlink(os.path.join(repodata, name))
    rng = random.Random(seed * 31 + 7)
    packages = [Package(binary, rng) for binary in binaries]
    elements = [write_metadata(repodata, kind, render, head, tail, packages)
                for kind, render, head, tail in KINDS_OF_METADATA
                if with_other or kind != "other"]
    repomd = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<repomd xmlns="http://linux.duke.edu/metadata/repo" '
              'xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n'
              "  <revision>%d</revision>\n" % EPOCH_TIME + "".join(elements) + "</repomd>\n")
    temporary = os.path.join(repodata, ".repomd.xml.tmp")
    with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(repomd)
    os.replace(temporary, os.path.join(repodata, "repomd.xml"))
