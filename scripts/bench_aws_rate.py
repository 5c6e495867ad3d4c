"""Measures moto's maximum request rate on this machine (requests per second) with
cheap read calls (sts:GetCallerIdentity) from several keep-alive connections.

Usage: bench_aws_rate.py PORT [SECONDS]
"""

import http.client
import sys
import threading
import time

PORT = int(sys.argv[1])
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
BODY = "Action=GetCallerIdentity&Version=2011-06-15"
HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0",
}
count = 0
lock = threading.Lock()
deadline = time.monotonic() + SECONDS


def worker():
    global count
    conn = http.client.HTTPConnection("127.0.0.1", PORT)
    n = 0
    while time.monotonic() < deadline:
        conn.request("POST", "/", BODY, HEADERS)
        conn.getresponse().read()
        n += 1
    with lock:
        count += n


threads = [threading.Thread(target=worker) for _ in range(8)]
start = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"{count / (time.monotonic() - start):.1f}")
