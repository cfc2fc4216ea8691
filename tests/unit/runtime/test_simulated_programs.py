"""What each image's program does, observed from outside as the kubelet and a learner would."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import MemoryVolume, Mount

MIB = 1024 * 1024


async def test_hello_world_prints_its_greeting_and_exits_0(start: Any) -> None:
    container = await start("hello-world")
    status = await container.wait()
    assert (status.exit_code, status.reason) == (0, "Completed")
    lines = container.logs.text().splitlines()
    assert lines[:2] == ["", "Hello from Docker!"]
    assert any(line.startswith(" 4.") for line in lines)


async def test_false_exits_1_and_sh_exit_codes_pass_through(start: Any) -> None:
    assert (await (await start("busybox", {"command": ["false"]})).wait()).exit_code == 1
    container = await start("busybox", {"command": ["sh", "-c", "echo hi; exit 3"]})
    status = await container.wait()
    assert (status.exit_code, status.reason, container.logs.text()) == (3, "Error", "hi\n")


async def test_nginx_serves_a_mounted_page_and_logs_the_request(start: Any, clock: Clock) -> None:
    html = MemoryVolume(clock.now())
    html.write("index.html", b"<h1>mine</h1>\n", False, clock.now())
    container = await start("nginx:1.27", mounts=[Mount("/usr/share/nginx/html", html)])
    response = await container.http(80, headers={"User-Agent": "kube-probe/1.33"})
    assert (response.status, response.body) == (200, b"<h1>mine</h1>\n")
    assert response.header("Server") == "nginx/1.27.5"
    missing = await container.http(80, path="/nope")
    assert missing.status == 404 and b"<center>nginx/1.27.5</center>" in missing.body
    log = container.logs.text("stdout")
    assert '"GET / HTTP/1.1" 200 14 "-" "kube-probe/1.33" "-"' in log
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up" in log
    assert "[notice] 1#1: start worker processes" in container.logs.text("stderr")
    status = await container.stop(30)
    assert (status.exit_code, status.signal) == (0, None)


async def test_nginx_default_page_and_custom_port(start: Any, clock: Clock) -> None:
    container = await start("nginx")
    assert b"<title>Welcome to nginx!</title>" in (await container.http(80)).body
    conf = MemoryVolume(clock.now())
    conf.write(
        "default.conf",
        b"server { listen 8080; location /healthz { return 200 'ok'; } }",
        False,
        clock.now(),
    )
    custom = await start("nginx:alpine", mounts=[Mount("/etc/nginx/conf.d", conf, read_only=True)])
    assert not custom.tcp_open(80) and custom.tcp_open(8080)
    assert (await custom.http(8080, path="/healthz")).body == b"ok"
    assert "can not modify /etc/nginx/conf.d/default.conf" in custom.logs.text()


async def test_broken_nginx_config_fails_like_nginx(start: Any, clock: Clock) -> None:
    conf = MemoryVolume(clock.now())
    conf.write("default.conf", b"server { listen 80;\n", False, clock.now())
    container = await start("nginx", mounts=[Mount("/etc/nginx/conf.d", conf)])
    status = await container.wait()
    assert status.exit_code == 1
    assert (
        'nginx: [emerg] unexpected end of file, expecting ";" or "}" in '
        "/etc/nginx/conf.d/default.conf:1"
    ) in container.logs.text()


async def test_httpd_says_it_works(start: Any) -> None:
    container = await start("httpd:2.4")
    response = await container.http(80)
    assert response.body == b"<html><body><h1>It works!</h1></body></html>\n"
    assert '"GET / HTTP/1.1" 200 45' in container.logs.text("stdout")
    assert (await container.stop(30)).exit_code == 0
    assert "caught SIGWINCH, shutting down gracefully" in container.logs.text("stderr")


async def test_redis_answers_redis_cli_and_tcp_probes(start: Any) -> None:
    container = await start("redis:7")
    assert container.tcp_open(6379)
    assert "Ready to accept connections tcp" in container.logs.text()
    assert await container.exec(["redis-cli", "ping"]) == (0, "PONG\n", "")
    assert (await container.exec(["redis-cli", "set", "hits", "41"]))[1] == "OK\n"
    assert (await container.exec(["redis-cli", "incr", "hits"]))[1] == "42\n"
    assert (await container.exec(["redis-cli", "get", "hits"]))[1] == "42\n"
    assert (await container.exec(["redis-cli", "-p", "1", "ping"]))[2] == (
        "Could not connect to Redis at 127.0.0.1:1: Connection refused\n"
    )
    assert (await container.stop(30)).exit_code == 0
    assert "Received SIGTERM scheduling shutdown" in container.logs.text()


async def test_python_http_server_and_print(start: Any) -> None:
    server = await start(
        "python:3.12", {"command": ["python", "-m", "http.server", "9000"], "workingDir": "/etc"}
    )
    response = await server.http(9000, path="/hostname")
    assert (response.status, response.body) == (200, b"web-0\n")
    assert '"GET /hostname HTTP/1.1" 200 -' in server.logs.text("stderr")
    assert "Serving HTTP" not in server.logs.text()  # stdout is block-buffered
    printer = await start("python:3.12-slim", {"command": ["python3", "-c", "print('hi', 2)"]})
    await printer.wait()
    assert printer.logs.text() == "hi 2\n"
    other = await start("python:3.12", {"command": ["python", "app.py"]})
    assert (await other.wait()).exit_code == 1


async def test_demo_app_endpoints(start: Any, clock: Clock) -> None:
    config = MemoryVolume(clock.now())
    config.write("color", b"blue\n", False, clock.now())
    app = await start(
        "kubelab/demo-app:1.0",
        env={"MESSAGE": "hello class"},
        mounts=[Mount("/config", config)],
        hostname="web-7d9f",
    )
    page = await app.http(8080)
    assert b"kubelab demo-app v1.0" in page.body and b"web-7d9f" in page.body
    assert b"hello class" in page.body
    assert (await app.http(8080, path="/health")).status == 200
    assert (await app.http(8080, path="/health?code=503")).status == 503
    assert (await app.http(8080, path="/ready")).status == 200
    assert (await app.http(8080, path="/ready?set=false")).status == 503
    assert (await app.http(8080, path="/ready")).status == 503
    assert b"MESSAGE=hello class" in (await app.http(8080, path="/env")).body
    assert b"== /config/color ==\nblue" in (await app.http(8080, path="/config")).body
    assert "GET /health?code=503 503" in app.logs.text()
    await app.http(8080, path="/hang")
    try:
        async with asyncio.timeout(0.05):
            await app.http(8080, path="/health")
        raise AssertionError("a hung app answered")
    except TimeoutError:
        pass
    v2 = await start("kubelab/demo-app:2.0")
    assert (await v2.http(8080, path="/version")).body == b"2.0\n"


async def test_demo_app_crash_and_oom_kill(start: Any) -> None:
    app = await start("kubelab/demo-app:1.0")
    await app.http(8080, path="/crash")
    status = await app.wait()
    assert (status.exit_code, status.reason) == (1, "Error")
    limited = await start("kubelab/demo-app:1.0", memory_limit=64 * MIB)
    assert (await limited.http(8080, path="/alloc?mb=20")).status == 200
    assert limited.memory_bytes >= 32 * MIB
    with contextlib.suppress(ConnectionResetError):  # the process dies while answering
        await limited.http(8080, path="/alloc?mb=50")
    status = await limited.wait()
    assert (status.exit_code, status.reason, status.signal) == (137, "OOMKilled", 9)


async def test_demo_app_behaviour_from_environment(start: Any) -> None:
    app = await start(
        "kubelab/demo-app:1.0", env={"READY_AFTER_SECONDS": "100", "CRASH_AFTER_SECONDS": "200"}
    )
    assert (await app.http(8080, path="/ready")).status == 503
    await asyncio.sleep(0.12)
    assert (await app.http(8080, path="/ready")).status == 200
    status = await app.wait()
    assert status.exit_code == 1
    broken = await start("kubelab/demo-app:2.0-broken")
    assert (await broken.wait()).exit_code == 1
    assert "FATAL" in broken.logs.text()


async def test_services_are_reached_through_the_network_hook(start: Any, clock: Clock) -> None:
    web = await start("nginx")

    class Cluster:
        async def lookup(self, name: str) -> list[str]:
            return ["10.96.0.20"] if name == "web.default.svc.cluster.local" else []

        async def http(self, address: str, port: int, request: Any) -> Any:
            if address == "10.96.0.20":
                return await web.sandbox.netns.http(port, request)
            raise ConnectionRefusedError(111, "Connection refused")

        async def tcp_connect(self, address: str, port: int) -> Any:
            raise ConnectionRefusedError(111, "Connection refused")

    resolv = MemoryVolume(clock.now())
    resolv.write(
        "resolv.conf",
        b"nameserver 10.96.0.10\nsearch default.svc.cluster.local "
        b"svc.cluster.local cluster.local\noptions ndots:5\n",
        False,
        clock.now(),
    )
    client = await start(
        "busybox",
        {"command": ["sleep", "3600"]},
        network=Cluster(),
        mounts=[Mount("/etc/resolv.conf", resolv, sub_path="resolv.conf")],
    )
    code, body, _ = await client.exec(["wget", "-qO-", "http://web"])
    assert code == 0 and "Welcome to nginx!" in body
    assert await client.exec(["wget", "-qO-", "http://nope"]) == (
        1,
        "",
        "wget: bad address 'nope'\n",
    )
    assert (await client.exec(["wget", "-qO-", "http://10.96.0.99:8080"]))[2] == (
        "wget: can't connect to remote host (10.96.0.99): Connection refused\n"
    )
    code, output, _ = await client.exec(["nslookup", "web"])
    assert "Name:\tweb.default.svc.cluster.local\nAddress: 10.96.0.20" in output
    code, _, error = await web.exec(["curl", "-s", "-S", "http://localhost:81/"])
    assert code == 7 and error.startswith("curl: (7) Failed to connect to localhost port 81")
