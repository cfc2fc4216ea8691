"""The official images the course uses, built on demand for any plausible tag.

Each ``*_repository`` function describes one repository: its tag scheme and how to build the
image of a tag. Versions are those published around the course's Kubernetes release.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from kubelab.cluster.runtime.images import FileTree, Image, ImageRepository
from kubelab.cluster.runtime.library import distros, sites
from kubelab.cluster.runtime.library.tags import Tag, TagScheme
from kubelab.cluster.runtime.programs.registry import executable

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HUB = "docker.io/library"


def sized(base: int, version: str) -> int:
    """A realistic size that differs a little from release to release."""
    spread = int(hashlib.sha256(version.encode()).hexdigest()[:6], 16) % 1000
    return base + base * spread // 50_000


def repository(name: str, scheme: TagScheme, build: Callable[[Tag, str], Image]) -> ImageRepository:
    def build_tag(tag: str) -> Image | None:
        parsed = scheme.parse(tag)
        return build(parsed, f"{name}:{tag}") if parsed else None

    return ImageRepository(name, build_tag, scheme.tags)


def _with(base: FileTree, extra: FileTree) -> Callable[[], FileTree]:
    return lambda: {**base, **extra}


# -- base images ---------------------------------------------------------------------------


def hello_world() -> ImageRepository:
    scheme = TagScheme({"1.0": None}, extra={"latest": "1.0", "linux": "1.0"})

    def build(tag: Tag, reference: str) -> Image:
        return Image(
            reference, 10_072, {"/hello": executable("hello")}, cmd=("/hello",), env={"PATH": PATH}
        )

    return repository(f"{HUB}/hello-world", scheme, build)


def busybox() -> ImageRepository:
    scheme = TagScheme(
        {"1.35": 0, "1.36": 1, "1.37": 0},
        aliases={"latest": "1.37", "stable": "1.36"},
        variants=("glibc", "musl", "uclibc"),
    )

    def build(tag: Tag, reference: str) -> Image:
        libc = tag.variant or "glibc"
        files = distros.busybox(tag.version, libc)
        return Image(
            reference,
            sized(2_160_000, tag.version + tag.variant),
            lambda: files,
            cmd=("sh",),
            env={"PATH": PATH},
        )

    return repository(f"{HUB}/busybox", scheme, build)


ALPINE_RELEASES: dict[str, int | None] = {
    "3.17": 10, "3.18": 12, "3.19": 9, "3.20": 8, "3.21": 5, "3.22": 2,
}  # fmt: skip


def alpine() -> ImageRepository:
    scheme = TagScheme(ALPINE_RELEASES, aliases={"latest": "3.22"})

    def build(tag: Tag, reference: str) -> Image:
        files = distros.alpine(tag.version)
        return Image(
            reference,
            sized(3_630_000, tag.version + tag.variant),
            lambda: files,
            cmd=("/bin/sh",),
            env={"PATH": PATH},
        )

    return repository(f"{HUB}/alpine", scheme, build)


def ubuntu() -> ImageRepository:
    scheme = TagScheme(
        {"20.04": None, "22.04": None, "24.04": None},
        aliases={"latest": "24.04", "focal": "20.04", "jammy": "22.04", "noble": "24.04",
                 "rolling": "24.04"},
    )  # fmt: skip

    def build(tag: Tag, reference: str) -> Image:
        files = distros.ubuntu(tag.version)
        return Image(
            reference,
            sized(29_750_000, tag.version + tag.variant),
            lambda: files,
            cmd=("/bin/bash",),
            env={"PATH": PATH},
        )

    return repository(f"{HUB}/ubuntu", scheme, build)


def debian() -> ImageRepository:
    scheme = TagScheme(
        {"11": 11, "12": 12, "13": 2},
        aliases={"latest": "13", "stable": "13", "oldstable": "12", "bullseye": "11",
                 "bookworm": "12", "trixie": "13"},
        variants=("slim",),
    )  # fmt: skip

    def build(tag: Tag, reference: str) -> Image:
        files = distros.debian(tag.version.split(".")[0])
        base = 28_230_000 if tag.variant == "slim" else 48_490_000
        return Image(
            reference,
            sized(base, tag.version + tag.variant),
            lambda: files,
            cmd=("bash",),
            env={"PATH": PATH},
        )

    return repository(f"{HUB}/debian", scheme, build)


def pause() -> ImageRepository:
    scheme = TagScheme(
        {"3.6": None, "3.7": None, "3.8": None, "3.9": None, "3.10": 1}, extra={"latest": "3.10"}
    )

    def build(tag: Tag, reference: str) -> Image:
        return Image(
            reference,
            sized(320_000, tag.version + tag.variant),
            {"/pause": executable("pause")},
            entrypoint=("/pause",),
            user="65535:65535",
        )

    return repository("registry.k8s.io/pause", scheme, build)


# -- servers -------------------------------------------------------------------------------


def _os_files(variant: str, procps: bool = False) -> FileTree:
    """The distribution under a server image: alpine for ``-alpine`` tags, else debian 12."""
    return distros.alpine("3.20.3") if variant == "alpine" else distros.debian("12", procps=procps)


def nginx() -> ImageRepository:
    scheme = TagScheme(
        {"1.24": 0, "1.25": 5, "1.26": 3, "1.27": 5, "1.28": 0, "1.29": 3},
        aliases={"latest": "1.29", "mainline": "1.29", "stable": "1.28", "bookworm": "1.29"},
        variants=("alpine", "perl", "bookworm", "alpine-slim", "alpine-perl"),
    )  # fmt: skip

    def build(tag: Tag, reference: str) -> Image:
        variant = "alpine" if tag.variant.startswith("alpine") else ""
        files = {
            "/usr/sbin/nginx": executable("nginx", tag.version),
            "/docker-entrypoint.sh": executable("nginx-entrypoint", tag.version),
            **{f"/docker-entrypoint.d/{name}": "#!/bin/sh\n# configuration step run at start\n"
               for name in sites.NGINX_ENTRYPOINT_SCRIPTS},
            "/etc/nginx/nginx.conf": sites.NGINX_CONF,
            "/etc/nginx/conf.d/default.conf": sites.NGINX_DEFAULT_CONF,
            "/etc/nginx/mime.types": sites.NGINX_MIME_TYPES,
            "/usr/share/nginx/html/index.html": sites.NGINX_INDEX,
            "/usr/share/nginx/html/50x.html": sites.NGINX_50X,
            "/var/log/nginx/": b"",
            "/var/cache/nginx/": b"",
            "/usr/bin/curl": executable("curl"),
        }  # fmt: skip
        base = 20_600_000 if variant else 72_100_000
        return Image(
            reference, sized(base, tag.version + tag.variant), _with(_os_files(variant), files),
            entrypoint=("/docker-entrypoint.sh",), cmd=("nginx", "-g", "daemon off;"),
            env={"PATH": PATH, "NGINX_VERSION": tag.version, "NJS_VERSION": "0.8.9",
                 "PKG_RELEASE": "1~bookworm" if not variant else "1"},
            exposed_ports=(80,), stop_signal="SIGQUIT",
        )  # fmt: skip

    return repository(f"{HUB}/nginx", scheme, build)


def httpd() -> ImageRepository:
    scheme = TagScheme({"2.4": 65}, aliases={"latest": "2.4"}, variants=("alpine", "bookworm"))

    def build(tag: Tag, reference: str) -> Image:
        variant = tag.variant if tag.variant == "alpine" else ""
        prefix = "/usr/local/apache2"
        files = {
            f"{prefix}/bin/httpd": executable("httpd", tag.version),
            "/usr/local/bin/httpd-foreground": sites.HTTPD_FOREGROUND,
            f"{prefix}/htdocs/index.html": sites.HTTPD_INDEX,
            f"{prefix}/conf/httpd.conf": sites.HTTPD_CONF,
            f"{prefix}/logs/": b"",
        }
        base = 22_300_000 if variant else 58_200_000
        return Image(
            reference, sized(base, tag.version + tag.variant), _with(_os_files(variant), files),
            cmd=("httpd-foreground",), working_dir=prefix,
            env={"PATH": f"{prefix}/bin:{PATH}", "HTTPD_PREFIX": prefix,
                 "HTTPD_VERSION": tag.version},
            exposed_ports=(80,), stop_signal="SIGWINCH",
        )  # fmt: skip

    return repository(f"{HUB}/httpd", scheme, build)


def redis() -> ImageRepository:
    scheme = TagScheme(
        {"6.2": 19, "7.0": 15, "7.2": 10, "7.4": 5, "8.0": 3},
        aliases={"latest": "8.0"},
        variants=("alpine", "bookworm"),
    )

    def build(tag: Tag, reference: str) -> Image:
        variant = tag.variant if tag.variant == "alpine" else ""
        files = {
            "/usr/local/bin/redis-server": executable("redis-server", tag.version),
            "/usr/local/bin/redis-cli": executable("redis-cli", tag.version),
            "/usr/local/bin/docker-entrypoint.sh": sites.REDIS_ENTRYPOINT,
            "/data/": b"",
        }
        base = 17_400_000 if variant else 45_300_000
        return Image(
            reference, sized(base, tag.version + tag.variant), _with(_os_files(variant), files),
            entrypoint=("docker-entrypoint.sh",), cmd=("redis-server",), working_dir="/data",
            env={"PATH": PATH, "REDIS_VERSION": tag.version}, exposed_ports=(6379,),
        )  # fmt: skip

    return repository(f"{HUB}/redis", scheme, build)


def python() -> ImageRepository:
    scheme = TagScheme(
        {"3.9": 23, "3.10": 18, "3.11": 13, "3.12": 11, "3.13": 7},
        aliases={"latest": "3.13"},
        variants=("slim", "alpine", "bookworm", "slim-bookworm"),
    )

    def build(tag: Tag, reference: str) -> Image:
        line = ".".join(tag.version.split(".")[:2])
        variant = tag.variant if tag.variant in ("alpine",) else ""
        full = tag.variant in ("", "bookworm")
        marker = executable("python", tag.version)
        files: FileTree = {
            "/usr/local/bin/python": marker,
            "/usr/local/bin/python3": marker,
            f"/usr/local/bin/python{line}": marker,
            **({"/usr/bin/curl": executable("curl")} if full else {}),
        }
        base = 45_100_000
        if full or variant:
            base = 1_020_000_000 if full else 17_900_000
        return Image(
            reference, sized(base, tag.version + tag.variant),
            _with(_os_files(variant, procps=full), files), cmd=("python3",),
            env={"PATH": PATH, "LANG": "C.UTF-8", "PYTHON_VERSION": tag.version},
        )  # fmt: skip

    return repository(f"{HUB}/python", scheme, build)
