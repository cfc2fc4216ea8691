"""``/hello``, the only file of the ``hello-world`` image: print a greeting and exit 0."""

from __future__ import annotations

from kubelab.cluster.runtime.process import Process

GREETING = """
Hello from Docker!
If you can read this, your container setup is working.

Four things happened to print this message:
 1. A client asked the container runtime to run the "hello-world" image.
 2. The runtime pulled the "hello-world" image from Docker Hub.
    (amd64)
 3. The runtime created a container from that image and started its one
    program: the one printing the text you are reading now.
 4. The program's output travelled back to the client, and on to your terminal.

For something bigger, start an Ubuntu container with a shell:
 $ docker run -it ubuntu bash

Find and share images with a free Docker ID:
 https://hub.docker.com/

More examples and ideas:
 https://docs.docker.com/get-started/

"""


async def main(process: Process) -> int:
    await process.write_out(GREETING)
    return 0
