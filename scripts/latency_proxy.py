"""A TCP proxy on 127.0.0.1 that adds network latency in front of a local server.

Every byte from the client reaches the server LATENCY_MS later, and every new connection
waits LATENCY_MS before it is opened upstream (the TCP handshake's round trip), so each
HTTP request costs one extra round trip of LATENCY_MS, as a real region far from the
scanner does. Order within a connection is kept; connections do not wait on each other.

It counts requests in flight (a connection that has sent bytes and not yet received the
start of an answer) and writes the peak and the number of requests to STATS_FILE when it
receives SIGTERM or SIGINT, with a timeline: one [start, end, what] per request (seconds
since the first request; `what` is the request line plus the Action or X-Amz-Target when
the first bytes carry one), so that gaps in the schedule can be found.

Usage: latency_proxy.py LISTEN_PORT UPSTREAM_PORT LATENCY_MS STATS_FILE
Only loopback addresses are used.
"""

import asyncio
import json
import re
import signal
import sys

LISTEN, UPSTREAM, LATENCY, STATS = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000, sys.argv[4]
stats = {"requests": 0, "in_flight": 0, "peak_in_flight": 0, "connections": 0, "timeline": []}
T0 = []


def now():
    t = asyncio.get_running_loop().time()
    if not T0:
        T0.append(t)
    return round(t - T0[0], 4)


def describe(data):
    head = data[:4096].decode("latin-1")
    line = head.split("\r\n", 1)[0].rsplit(" ", 1)[0][:80]
    m = re.search(r"Action=([A-Za-z0-9]+)", head) or re.search(r"(?i)x-amz-target: *([^\r]+)", head)
    return f"{line} {m.group(1)}" if m else line


async def client_to_server(reader, writer, waiting):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            if not waiting[0]:
                waiting[0] = True
                waiting[1] = len(stats["timeline"])
                stats["timeline"].append([now(), None, describe(data)])
                stats["requests"] += 1
                stats["in_flight"] += 1
                stats["peak_in_flight"] = max(stats["peak_in_flight"], stats["in_flight"])
            queue.put_nowait((loop.time() + LATENCY, data))
    except ConnectionError:
        pass
    queue.put_nowait((0, None))
    await sender


async def server_to_client(reader, writer, waiting):
    try:
        while data := await reader.read(65536):
            if waiting[0]:
                waiting[0] = False
                stats["timeline"][waiting[1]][1] = now()
                stats["in_flight"] -= 1
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    if waiting[0]:
        waiting[0] = False
        stats["in_flight"] -= 1
    writer.close()


async def handle(c_reader, c_writer):
    stats["connections"] += 1
    await asyncio.sleep(LATENCY)
    try:
        s_reader, s_writer = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    except OSError:
        c_writer.close()
        return
    waiting = [False, 0]
    await asyncio.gather(
        client_to_server(c_reader, s_writer, waiting),
        server_to_client(s_reader, c_writer, waiting),
        return_exceptions=True,
    )


async def main():
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN, backlog=1024)
    await stop.wait()
    server.close()
    with open(STATS, "w") as f:
        json.dump(stats, f)


asyncio.run(main())
