"""A TCP relay that holds every chunk for a while each way: a server farther away.

    python -m bench.delay LISTEN_PORT TARGET_PORT ONE_WAY_MS

The bench runs it in a process of its own, so that relaying takes nothing from the
client being timed. TLS passes through untouched (the client still checks the server's
certificate for 127.0.0.1). Linux's netem would do this in the kernel, but a fresh
machine may lack the module, and it needs root.
"""

from __future__ import annotations

import asyncio
import sys


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy `reader` to `writer`, each chunk `delay` seconds after it came, in order."""
    loop = asyncio.get_running_loop()
    held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await held.get()
            if not data:  # the reader's end
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(data)
            await writer.drain()
        writer.close()

    delivering = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            held.put_nowait((loop.time() + delay, data))
    finally:
        held.put_nowait((0.0, b""))
        await delivering


async def _serve(listen: int, target: int, delay: float) -> None:
    async def connected(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(
            _relay(client_r, server_w, delay),
            _relay(server_r, client_w, delay),
            return_exceptions=True,  # one side hung up: the other closes in turn
        )

    server = await asyncio.start_server(connected, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> None:
    listen, target, one_way_ms = int(argv[0]), int(argv[1]), float(argv[2])
    asyncio.run(_serve(listen, target, one_way_ms / 1000))


if __name__ == "__main__":
    main(sys.argv[1:])
