"""The base file trees the course's images are built on: busybox, alpine, debian and ubuntu.

Each tree is small but true to its distribution where a learner looks: ``/etc/os-release``,
the users in ``/etc/passwd``, which shell ``/bin/sh`` is, and which tools exist at all. Debian's
images, for instance, have no ``ps`` (the procps package is not installed) and no ``wget``,
while everything in busybox and alpine comes from the one busybox binary.
"""

from __future__ import annotations

from kubelab.cluster.runtime.programs.registry import executable

#: Tools busybox provides (applet name → program).
BUSYBOX_APPLETS = {
    **{name: name for name in (
        "echo", "printf", "cat", "grep", "head", "tail", "wc", "tee", "ls", "touch", "rm",
        "mkdir", "cp", "mv", "df", "sleep", "true", "false", "env", "printenv", "date",
        "hostname", "whoami", "id", "pwd", "kill", "ps", "free", "uname", "test", "wget",
        "nslookup", "tar", "sort", "uniq", "cut", "base64", "seq", "basename", "dirname",
    )},
    "[": "test", "sh": "sh", "ash": "sh",
}  # fmt: skip
#: Tools of GNU coreutils and friends present in every debian-based image.
GNU_TOOLS = {
    **{name: name for name in (
        "echo", "printf", "cat", "grep", "head", "tail", "wc", "tee", "ls", "touch", "rm",
        "mkdir", "cp", "mv", "df", "sleep", "true", "false", "env", "printenv", "date",
        "hostname", "whoami", "id", "pwd", "uname", "test", "tar", "sort", "uniq", "cut",
        "base64", "seq", "basename", "dirname",
    )},
    "[": "test",
}  # fmt: skip
PROCPS_TOOLS = {"ps": "ps", "free": "free", "kill": "kill"}

DIRECTORIES = (
    "/dev/",
    "/proc/",
    "/sys/",
    "/tmp/",
    "/root/",
    "/home/",
    "/var/log/",
    "/mnt/",
    "/opt/",
    "/srv/",
    "/run/",
    "/usr/local/bin/",
)

ROOT_PASSWD_BUSYBOX = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
GROUP_BUSYBOX = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:12:
www-data:x:33:
users:x:100:
nogroup:x:65534:
"""
PASSWD_ALPINE = """root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
operator:x:11:0:operator:/root:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
"""
GROUP_ALPINE = """root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin
adm:x:4:root,daemon
tty:x:5:
disk:x:6:root
lp:x:7:lp
kmem:x:9:
wheel:x:10:root
floppy:x:11:root
mail:x:12:mail
news:x:13:news
dialout:x:20:root
tape:x:26:root
video:x:27:root
users:x:100:games
nogroup:x:65533:
nobody:x:65534:
"""
PASSWD_DEBIAN = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
"""
GROUP_DEBIAN = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
www-data:x:33:
backup:x:34:
operator:x:37:
staff:x:50:
users:x:100:
nogroup:x:65534:
"""


def _tools(directories: tuple[str, ...], tools: dict[str, str], flavor: str) -> dict[str, bytes]:
    return {
        f"{directory}/{name}": executable(program, flavor if program != "sh" else "ash")
        for directory in directories
        for name, program in tools.items()
    }


def _skeleton() -> dict[str, bytes | str]:
    return {path: b"" for path in DIRECTORIES} | {"/dev/null": b""}


def busybox(version: str, libc: str = "glibc") -> dict[str, bytes | str]:
    """``busybox``: one static binary and its applets in ``/bin``, nothing else."""
    return {
        **_skeleton(),
        **_tools(("/bin",), BUSYBOX_APPLETS, "busybox"),
        "/bin/busybox": executable("sh", "ash"),
        "/etc/passwd": ROOT_PASSWD_BUSYBOX,
        "/etc/group": GROUP_BUSYBOX,
        "/etc/busybox-release": f"BusyBox v{version} ({libc})\n",
    }


def alpine(version: str) -> dict[str, bytes | str]:
    """Alpine Linux: busybox for the tools, musl, the apk package manager's database."""
    line = ".".join(version.split(".")[:2])
    return {
        **_skeleton(),
        **_tools(("/bin",), BUSYBOX_APPLETS, "busybox"),
        "/bin/busybox": executable("sh", "ash"),
        "/etc/passwd": PASSWD_ALPINE,
        "/etc/group": GROUP_ALPINE,
        "/etc/alpine-release": version + "\n",
        "/etc/os-release": (
            'NAME="Alpine Linux"\nID=alpine\n'
            f'VERSION_ID={version}\nPRETTY_NAME="Alpine Linux v{line}"\n'
            'HOME_URL="https://alpinelinux.org/"\n'
            'BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n'
        ),
        "/etc/apk/world": "alpine-baselayout\nalpine-keys\napk-tools\nbusybox\nmusl-utils\n",
        "/lib/ld-musl-x86_64.so.1": b"\x7fELF musl dynamic loader\n",
        "/var/cache/apk/": b"",
    }


def _debian_family(os_release: str, passwd: str, procps: bool) -> dict[str, bytes | str]:
    tools = GNU_TOOLS | (PROCPS_TOOLS if procps else {})
    return {
        **_skeleton(),
        **_tools(("/usr/bin", "/bin"), tools, "gnu"),
        "/bin/sh": executable("sh", "dash"),
        "/usr/bin/sh": executable("sh", "dash"),
        "/bin/dash": executable("sh", "dash"),
        "/bin/bash": executable("sh", "bash"),
        "/usr/bin/bash": executable("sh", "bash"),
        "/etc/passwd": passwd,
        "/etc/group": GROUP_DEBIAN,
        "/etc/os-release": os_release,
        "/etc/apt/sources.list.d/": b"",
        "/var/lib/dpkg/status": "Package: base-files\nStatus: install ok installed\n",
        "/lib/x86_64-linux-gnu/libc.so.6": b"\x7fELF GNU C Library\n",
    }


DEBIAN_RELEASES = {
    "11": ("bullseye", "11.11"),
    "12": ("bookworm", "12.8"),
    "13": ("trixie", "13.2"),
}


def debian(major: str, *, procps: bool = False) -> dict[str, bytes | str]:
    codename, point = DEBIAN_RELEASES[major]
    release = (
        f'PRETTY_NAME="Debian GNU/Linux {major} ({codename})"\nNAME="Debian GNU/Linux"\n'
        f'VERSION_ID="{major}"\nVERSION="{major} ({codename})"\nVERSION_CODENAME={codename}\n'
        'ID=debian\nHOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\n'
        'BUG_REPORT_URL="https://bugs.debian.org/"\n'
    )
    return {**_debian_family(release, PASSWD_DEBIAN, procps), "/etc/debian_version": point + "\n"}


UBUNTU_RELEASES = {
    "20.04": ("focal", "Focal Fossa", "20.04.6"),
    "22.04": ("jammy", "Jammy Jellyfish", "22.04.5"),
    "24.04": ("noble", "Noble Numbat", "24.04.3"),
}


def ubuntu(line: str) -> dict[str, bytes | str]:
    codename, name, point = UBUNTU_RELEASES[line]
    release = (
        f'PRETTY_NAME="Ubuntu {point} LTS"\nNAME="Ubuntu"\nVERSION_ID="{line}"\n'
        f'VERSION="{point} LTS ({name})"\nVERSION_CODENAME={codename}\nID=ubuntu\nID_LIKE=debian\n'
        'HOME_URL="https://www.ubuntu.com/"\nSUPPORT_URL="https://help.ubuntu.com/"\n'
        'BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"\n'
        f"UBUNTU_CODENAME={codename}\nLOGO=ubuntu-logo\n"
    )
    passwd = PASSWD_DEBIAN
    if line >= "24.04":
        passwd += "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n"
    return {**_debian_family(release, passwd, procps=True), "/home/ubuntu/": b""}
