"""Baseline 1: the smallest relay the `websockets` library allows (no Django, no
database, no channel layer). It is the limit of this machine for our message pattern.

Path: /<conversation>/<role> with role citizen or staff; a citizen's text frame is
forwarded to the staff sockets of the same conversation.
"""

import asyncio
import sys
from collections import defaultdict

from websockets.asyncio.server import serve

staff_sockets = defaultdict(set)


async def handler(websocket):
    try:
        _, conversation, role = websocket.request.path.split("/")[:3]
    except ValueError:
        await websocket.close(code=4400)
        return
    if role == "staff":
        staff_sockets[conversation].add(websocket)
    try:
        async for frame in websocket:
            if role == "citizen":
                for peer in list(staff_sockets[conversation]):
                    try:
                        await peer.send(frame)
                    except Exception:  # noqa: BLE001
                        staff_sockets[conversation].discard(peer)
    finally:
        staff_sockets[conversation].discard(websocket)


async def main(port):
    async with serve(handler, "127.0.0.1", port, max_queue=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
