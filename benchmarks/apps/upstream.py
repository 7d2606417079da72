"""A slow local upstream: every request is answered after DELAY seconds.

asyncio, so thousands of waiting requests cost nothing but a timer each:
``python upstream.py PORT [DELAY]``. HTTP/1.1 keep-alive, as real services
offer; a client that sends ``Connection: close`` gets its connection closed.
"""

import asyncio
import sys

REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
LAST_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class SlowHTTP(asyncio.Protocol):
    def __init__(self, delay):
        self.delay = delay
        self.buffer = b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:  # requests without a body
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            last = b"connection: close" in head.lower()
            asyncio.get_running_loop().call_later(self.delay, self._reply, last)

    def _reply(self, last):
        if not self.transport.is_closing():
            self.transport.write(LAST_REPLY if last else REPLY)
            if last:
                self.transport.close()


async def serve(port, delay):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SlowHTTP(delay), "127.0.0.1", port, backlog=4096
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(
        serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.05)
    )
