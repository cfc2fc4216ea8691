"""The ``channel.k8s.io`` WebSocket protocol itself, spoken byte by byte by a plain client."""

from __future__ import annotations

import json
import ssl

import aiohttp
import pytest

V5, V4 = "v5.channel.k8s.io", "v4.channel.k8s.io"


@pytest.fixture()
def web(ready_pod) -> str:
    return ready_pod("web", "--image=busybox", "--", "sleep", "3600")


@pytest.fixture()
def connection(api_client, namespace, web):
    """URL base, TLS context and headers of the API server, as the kubeconfig gives them."""
    configuration = api_client.configuration
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    headers = {"Authorization": configuration.auth_settings()["BearerToken"]["value"]}
    base = f"{configuration.host}/api/v1/namespaces/{namespace}/pods/{web}"
    return base, context, headers


async def test_channels_ping_and_half_close(connection):
    base, context, headers = connection
    url = f"{base}/exec?command=cat&stdin=true&stdout=true&stderr=true"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            url, protocols=(V5,), ssl=context, headers=headers, autoping=False
        ) as socket,
    ):
        assert socket.protocol == V5
        await socket.send_bytes(b"\x00hello\n")
        echoed = await socket.receive(timeout=10)
        assert echoed.data == b"\x01hello\n"
        await socket.ping(b"are you there")
        pong = await socket.receive(timeout=10)
        assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"are you there")
        await socket.send_bytes(b"\xff\x00")
        status = await socket.receive(timeout=10)
        assert status.data[:1] == b"\x03"
        assert json.loads(status.data[1:]) == {"metadata": {}, "status": "Success"}
        closing = await socket.receive(timeout=10)
        assert closing.type == aiohttp.WSMsgType.CLOSE


async def test_v4_is_chosen_when_offered_first_and_exit_codes_are_causes(connection):
    base, context, headers = connection
    url = f"{base}/exec?command=sh&command=-c&command=exit+9&stdout=true"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, protocols=(V4, V5), ssl=context, headers=headers) as socket,
    ):
        assert socket.protocol == V4
        message = await socket.receive(timeout=10)
        assert message.data[:1] == b"\x03"
        assert json.loads(message.data[1:]) == {
            "metadata": {},
            "status": "Failure",
            "message": "command terminated with non-zero exit code: "
            "command terminated with exit code 9",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": "9"}]},
        }


async def test_unknown_protocols_and_plain_requests_are_refused(connection):
    base, context, headers = connection
    url = f"{base}/exec?command=true&stdout=true"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, protocols=("base64.channel.k8s.io",), ssl=context,
                                     headers=headers)  # fmt: skip
        assert refused.value.status == 403
        async with session.post(url, ssl=context, headers=headers) as plain:
            assert plain.status == 400
            assert (await plain.json())["message"] == "Upgrade request required"
        async with session.put(url, ssl=context, headers=headers) as wrong:
            assert wrong.status == 405
