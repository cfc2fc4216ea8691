"""sort, uniq, cut, base64, seq, basename and dirname, run inside containers with sh -c as
kubectl exec runs them; outputs as GNU coreutils and busybox print them."""

from __future__ import annotations

from typing import Any

import pytest

IMAGES = ("busybox:1.36", "ubuntu:24.04")
PEOPLE = "printf 'carol 30\\nalice 7\\nBob 100\\nalice 7\\n'"


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize(
    ("script", "output"),
    [
        (f"{PEOPLE} | sort", "Bob 100\nalice 7\nalice 7\ncarol 30\n"),
        (f"{PEOPLE} | sort -u -r", "carol 30\nalice 7\nBob 100\n"),
        (f"{PEOPLE} | sort -k 2 -n", "alice 7\nalice 7\ncarol 30\nBob 100\n"),
        ("printf 'b:2\\na:10\\n' | sort -t : -k 2 -n", "b:2\na:10\n"),
        (f"{PEOPLE} | sort | uniq -c", "      1 Bob 100\n      2 alice 7\n      1 carol 30\n"),
        (f"{PEOPLE} | sort | uniq -d", "alice 7\n"),
        ("echo 'root:x:0:0:root' | cut -d : -f 1,3-4", "root:0:0\n"),
        ("printf 'abcdef\\nno-delimiter\\n' | cut -c 2-4", "bcd\no-d\n"),
        ("printf 'a b\\nplain\\n' | cut -d ' ' -f 2", "b\nplain\n"),
        ("printf 'a b\\nplain\\n' | cut -s -d ' ' -f 2", "b\n"),
        ("echo -n 'admin' | base64", "YWRtaW4=\n"),
        ("echo 'cGFzc3dvcmQxMjM=' | base64 -d", "password123"),
        ("seq 3", "1\n2\n3\n"),
        ("seq 2 2 7", "2\n4\n6\n"),
        ("seq -s , -w 8 10", "08,09,10\n"),
        ("basename /usr/share/nginx/html/index.html .html", "index\n"),
        (
            "dirname /usr/share/nginx/html/index.html; dirname file; dirname /etc/",
            "/usr/share/nginx/html\n.\n/\n",
        ),
    ],
)
async def test_filters(start: Any, image: str, script: str, output: str) -> None:
    container = await start(image, {"command": ["sleep", "3600"]})
    code, out, err = await container.exec(["sh", "-c", script])
    assert (code, out, err) == (0, output, "")


async def test_base64_wraps_at_76_columns_and_refuses_bad_input(start: Any) -> None:
    container = await start("busybox:1.36", {"command": ["sleep", "3600"]})
    _, out, _ = await container.exec(["sh", "-c", "seq 40 | base64"])
    assert [len(line) for line in out.splitlines()] == [76, 72]
    code, _, err = await container.exec(["sh", "-c", "echo '@@@' | base64 -d"])
    assert (code, err) == (1, "base64: invalid input\n")


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("busybox:1.36", "sort: can't open 'missing': No such file or directory\n"),
        ("ubuntu:24.04", "sort: cannot read: missing: No such file or directory\n"),
    ],
)
async def test_a_missing_file_is_reported_in_each_tools_words(
    start: Any, image: str, message: str
) -> None:
    container = await start(image, {"command": ["sleep", "3600"]})
    code, _, err = await container.exec(["sort", "missing"])
    assert (code, err) == (2, message)
